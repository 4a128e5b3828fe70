//! HTML escaping for report.html: every value that comes from the input
//! (ids, names of departments and roles, evidence sentences) goes through
//! [`escape`] before it is placed in text or in a quoted attribute.

/// Escapes `&`, `<`, `>`, `"` and `'`, which makes text safe both between
/// tags and inside single- or double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_tags_quotes_and_ampersands_are_escaped() {
        assert_eq!(escape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escape("\"quoted\" & 'single'"), "&quot;quoted&quot; &amp; &#39;single&#39;");
        assert_eq!(escape("a&amp;b"), "a&amp;amp;b", "already-escaped text is escaped again, not trusted");
        assert_eq!(escape("plain ÄÖ 07:00–19:00"), "plain ÄÖ 07:00–19:00");
        assert_eq!(escape(""), "");
        // Nothing that could end an attribute or open a tag survives.
        let hostile = "\"><img src=x onerror=alert(1)>'";
        let e = escape(hostile);
        assert!(!e.contains(['<', '>', '"', '\'']), "{e}");
    }
}
