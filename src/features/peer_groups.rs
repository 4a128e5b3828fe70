//! Peer groups: users clustered by what they do, not by job title.
//!
//! Profiles (see `profile.rs`) are log-scaled where they are volumes, then
//! robust-scaled per feature (median and interquartile range), and
//! clustered with linfa's KMeans for k = 2..=`max_k`, keeping the k with the
//! best silhouette score (on a seeded sample of at most `silhouette_sample`
//! users). A Gaussian mixture with the same k gives each user the
//! probability of their most likely group; linfa-clustering 0.8.1's mixture
//! can overflow into NaN on tight clusters, so it is fitted with covariance
//! regularisation, refitted with stronger regularisation on failure, and
//! dropped (KMeans only) if it still fails.
//!
//! Groups with fewer than `min_group_share` of the users (at least five) are
//! dissolved into the nearest large group: a few outliers must not become
//! each other's peers.
//!
//! A user's outlier score is the distance to their group's centroid in units
//! of that group's spread (the median member distance), so "6" means six
//! times as far out as a typical member. Everything is seeded: the same data
//! and seed give the same groups.

use crate::roles::RoleBook;
use linfa::prelude::*;
use linfa_clustering::{GaussianMixtureModel, KMeans};
use ndarray::{Array1, Array2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;

use super::profile::{LOG_SCALED, PROFILE_FEATURES};
use super::user_stats::UserStats;
use crate::config::PeerParams;
use crate::ingest::Ingested;
use crate::model::Code;

/// The learned groups.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerGroups {
    /// Number of groups chosen.
    pub k: usize,
    /// Silhouette score of the chosen clustering.
    pub silhouette: f64,
    /// Group of each user, aligned with `UserFeatures::users`.
    pub assignment: Vec<usize>,
    /// Outlier score of each user (distance / group spread).
    pub outlier: Vec<f64>,
    /// Probability of the most likely mixture component per user, when the
    /// mixture could be fitted.
    pub membership_probability: Option<Vec<f64>>,
    /// Per group: a label from its most common role and department.
    pub labels: Vec<String>,
    /// Per group: member count.
    pub sizes: Vec<usize>,
    /// Per group and feature: the median raw profile value of its members.
    pub medians: Vec<[f64; 12]>,
    /// Per user: the scaled distance of each feature from the centroid, for
    /// naming what drives an outlier.
    pub contributions: Vec<[f64; 12]>,
    /// Per user: whether their role is the group's most common role.
    pub matches_role: Vec<bool>,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Log-scales volumes and robust-scales every feature, in place (a run of
/// millions of users keeps one copy of the matrix, not two).
pub fn scale(mut x: Array2<f64>) -> Array2<f64> {
    for &j in &LOG_SCALED {
        x.column_mut(j).mapv_inplace(|v| v.max(0.0).ln_1p());
    }
    for mut col in x.axis_iter_mut(Axis(1)) {
        let mut v: Vec<f64> = col.iter().copied().collect();
        v.sort_by(|a, b| a.total_cmp(b));
        let med = quantile(&v, 0.5);
        let iqr = quantile(&v, 0.75) - quantile(&v, 0.25);
        // Identical users (an IQR of zero) must not make any difference infinite.
        let spread = iqr.max(0.1 * med.abs()).max(0.05);
        col.mapv_inplace(|val| (val - med) / spread);
    }
    x
}

fn kmeans(x: &Array2<f64>, k: usize, seed: u64) -> Option<(Array1<usize>, Array2<f64>)> {
    // A view: the fits of several k run side by side on one matrix.
    let data = DatasetBase::from(x.view());
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(3)
        .max_n_iterations(200)
        .tolerance(1e-5)
        .fit(&data)
        .ok()?;
    let labels = model.predict(x);
    Some((labels, model.centroids().clone()))
}

/// Mean silhouette of the `sample` rows under `labels`, with Euclidean
/// distances among the sample only: the definition of linfa's
/// `silhouette_score` (a singleton cluster's own distance is 0; one cluster
/// scores 1), computed on a flat copy and in parallel over the sample,
/// without allocating per pair. Summed in sample order, so deterministic.
fn silhouette(x: &Array2<f64>, labels: &Array1<usize>, sample: &[usize]) -> f64 {
    let d = x.ncols();
    let rows: Vec<f64> = sample.iter().flat_map(|&i| x.row(i).to_vec()).collect();
    let ls: Vec<usize> = sample.iter().map(|&i| labels[i]).collect();
    let k = ls.iter().copied().max().map_or(0, |m| m + 1);
    let mut counts = vec![0usize; k];
    for &l in &ls {
        counts[l] += 1;
    }
    if counts.iter().filter(|&&c| c > 0).count() <= 1 {
        return if ls.is_empty() { f64::NEG_INFINITY } else { 1.0 };
    }
    let n = ls.len();
    let per_point: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|a| {
            let pa = &rows[a * d..(a + 1) * d];
            let mut total = vec![0.0f64; k];
            for b in 0..n {
                let pb = &rows[b * d..(b + 1) * d];
                let sq: f64 = pa.iter().zip(pb).map(|(u, v)| (u - v) * (u - v)).sum();
                total[ls[b]] += sq.sqrt();
            }
            let own = ls[a];
            let a_x = if counts[own] == 1 { 0.0 } else { total[own] / (counts[own] - 1) as f64 };
            let b_x = (0..k)
                .filter(|&g| g != own && counts[g] > 0)
                .map(|g| total[g] / counts[g] as f64)
                .fold(f64::INFINITY, f64::min);
            if a_x >= b_x {
                (b_x - a_x) / a_x
            } else {
                (b_x - a_x) / b_x
            }
        })
        .collect();
    per_point.iter().sum::<f64>() / n as f64
}

/// Fits the mixture with regularisation; `None` when it cannot be fitted
/// without NaN (the linfa-clustering 0.8.1 overflow on tight clusters).
pub fn mixture_probability(x: &Array2<f64>, k: usize, seed: u64) -> Option<Vec<f64>> {
    let data = DatasetBase::from(x.view());
    for reg in [1e-3, 1e-1] {
        let fitted = GaussianMixtureModel::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
            .reg_covariance(reg)
            .n_runs(1)
            .max_n_iterations(100)
            .fit(&data);
        let Ok(model) = fitted else { continue };
        if model.means().iter().any(|v| !v.is_finite()) {
            continue;
        }
        let proba = model.predict_proba(x);
        let best: Vec<f64> = proba.axis_iter(Axis(0)).map(|row| row.iter().copied().fold(0.0, f64::max)).collect();
        if best.iter().all(|p| p.is_finite()) {
            return Some(best);
        }
    }
    None
}

fn group_labels<E>(
    users: &[(Code, UserStats)],
    assignment: &[usize],
    k: usize,
    data: &Ingested<E>,
    roles: &RoleBook,
) -> (Vec<String>, Vec<Option<String>>) {
    let role_dept = |u: Code| {
        let r = data.roster.as_ref().and_then(|r| r.get(u));
        let role = roles.class(u).map_or_else(|| "users of unknown role".to_string(), |c| c.staff().to_string());
        let dept = r.and_then(|r| r.department).map(|d| data.dict.departments.name(d).to_string());
        (role, dept)
    };
    let mut labels = Vec::with_capacity(k);
    let mut top_roles = Vec::with_capacity(k);
    for g in 0..k {
        let mut roles: std::collections::BTreeMap<String, usize> = Default::default();
        let mut depts: std::collections::BTreeMap<String, usize> = Default::default();
        let mut n = 0;
        for (i, (u, _)) in users.iter().enumerate() {
            if assignment[i] != g {
                continue;
            }
            n += 1;
            let (role, dept) = role_dept(*u);
            *roles.entry(role).or_default() += 1;
            if let Some(d) = dept {
                *depts.entry(d).or_default() += 1;
            }
        }
        let top = |m: &std::collections::BTreeMap<String, usize>| {
            m.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(k, v)| (k.clone(), *v))
        };
        let role = top(&roles);
        let dept = top(&depts).filter(|(_, c)| *c * 3 >= n); // name a department only if it dominates
        let label = match (&role, dept) {
            (Some((r, _)), Some((d, _))) => format!("{} {r} in {d}", g + 1),
            (Some((r, _)), None) => format!("{} mostly {r}", g + 1),
            _ => format!("{}", g + 1),
        };
        labels.push(label);
        top_roles.push(role.map(|r| r.0));
    }
    (labels, top_roles)
}

/// Clusters users into peer groups. `None` when there are fewer than
/// `min_users` users.
pub fn assign_peer_groups<E>(
    users: &[(Code, UserStats)],
    data: &Ingested<E>,
    roles: &RoleBook,
    params: &PeerParams,
) -> Option<PeerGroups> {
    let n = users.len();
    if n < params.min_users as usize {
        return None;
    }
    // The raw values are read from the profiles again where needed, not
    // kept as a second matrix.
    let raw = |i: usize, j: usize| {
        let v = users[i].1.profile.values[j];
        if v.is_finite() {
            v
        } else {
            0.0
        }
    };
    let mut x = Array2::<f64>::zeros((n, PROFILE_FEATURES.len()));
    for ((i, j), slot) in x.indexed_iter_mut() {
        *slot = raw(i, j);
    }
    let x = scale(x);
    let mut rng = Xoshiro256Plus::seed_from_u64(params.seed);
    let mut sample: Vec<usize> = (0..n).collect();
    sample.shuffle(&mut rng);
    sample.truncate(params.silhouette_sample as usize);
    sample.sort_unstable();

    let max_k = (params.max_k as usize).min(n / 10).max(2);
    // Each k is fitted with its own seeded generator, so fitting them in
    // parallel gives the same models; the choice runs in k order as before.
    let fits: Vec<Option<(f64, Array1<usize>, Array2<f64>)>> = (2..=max_k)
        .into_par_iter()
        .map(|k| {
            let (labels, centroids) = kmeans(&x, k, params.seed)?;
            let s = silhouette(&x, &labels, &sample);
            Some((s, labels, centroids))
        })
        .collect();
    let mut best: Option<(f64, usize, Array1<usize>, Array2<f64>)> = None;
    for (k, fit) in (2..=max_k).zip(fits) {
        let Some((s, labels, centroids)) = fit else { continue };
        if best.as_ref().is_none_or(|b| s > b.0 + 1e-9) {
            best = Some((s, k, labels, centroids));
        }
    }

    let (silhouette, k_found, labels, centroids) = best?;
    // A handful of outliers can win a cluster of their own, which would make
    // them their own peers. Groups smaller than `min_group` are dissolved into
    // the nearest large group, and the groups renumbered.
    let min_group = (params.min_group_share * n as f64).ceil().max(5.0) as usize;
    let mut sizes_found = vec![0usize; k_found];
    for &l in labels.iter() {
        sizes_found[l] += 1;
    }
    let large: Vec<usize> = (0..k_found).filter(|&g| sizes_found[g] >= min_group).collect();
    if large.is_empty() {
        return None;
    }
    let sq =
        |i: usize, g: usize| x.row(i).iter().zip(centroids.row(g).iter()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
    let assignment: Vec<usize> = (0..n)
        .map(|i| {
            let l = labels[i];
            let g = if sizes_found[l] >= min_group {
                l
            } else {
                *large.iter().min_by(|&&a, &&b| sq(i, a).total_cmp(&sq(i, b))).expect("non-empty")
            };
            large.iter().position(|&x| x == g).expect("large group")
        })
        .collect();
    let k = large.len();
    let centroids = centroids.select(Axis(0), &large);
    let dist: Vec<f64> = (0..n)
        .map(|i| {
            let c = centroids.row(assignment[i]);
            x.row(i).iter().zip(c.iter()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
        })
        .collect();
    let mut spreads = vec![0.0; k];
    let mut sizes = vec![0usize; k];
    let mut medians = vec![[0.0; 12]; k];
    for g in 0..k {
        let members: Vec<usize> = (0..n).filter(|&i| assignment[i] == g).collect();
        sizes[g] = members.len();
        let mut d: Vec<f64> = members.iter().map(|&i| dist[i]).collect();
        d.sort_by(|a, b| a.total_cmp(b));
        spreads[g] = quantile(&d, 0.5).max(0.25);
        for (j, slot) in medians[g].iter_mut().enumerate() {
            let mut v: Vec<f64> = members.iter().map(|&i| raw(i, j)).collect();
            v.sort_by(|a, b| a.total_cmp(b));
            *slot = quantile(&v, 0.5);
        }
    }
    let outlier: Vec<f64> = (0..n).map(|i| dist[i] / spreads[assignment[i]]).collect();
    let contributions: Vec<[f64; 12]> = (0..n)
        .map(|i| {
            let mut c = [0.0; 12];
            for (j, slot) in c.iter_mut().enumerate() {
                *slot = x[[i, j]] - centroids[[assignment[i], j]];
            }
            c
        })
        .collect();
    let (labels_text, top_roles) = group_labels(users, &assignment, k, data, roles);
    let matches_role = users
        .iter()
        .enumerate()
        .map(|(i, (u, _))| {
            let role = roles.class(*u).map(|c| c.staff().to_string());
            role.is_some() && role == top_roles[assignment[i]]
        })
        .collect();
    Some(PeerGroups {
        k,
        silhouette,
        membership_probability: mixture_probability(&x, k, params.seed),
        assignment,
        outlier,
        labels: labels_text,
        sizes,
        medians,
        contributions,
        matches_role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(seed: u64) -> Array2<f64> {
        use rand::Rng;
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        let mut x = Array2::zeros((90, 3));
        for i in 0..90 {
            let c = (i / 30) as f64 * 10.0;
            for j in 0..3 {
                x[[i, j]] = c + rng.gen_range(-1.0..1.0);
            }
        }
        x
    }

    #[test]
    fn silhouette_matches_linfa() {
        let x = blobs(3);
        let (labels, _) = kmeans(&x, 3, 1).unwrap();
        let sample: Vec<usize> = (0..x.nrows()).step_by(2).collect();
        let xs = x.select(Axis(0), &sample);
        let ls: Array1<usize> = sample.iter().map(|&i| labels[i]).collect();
        let theirs = DatasetBase::new(xs, ls).silhouette_score().unwrap();
        let ours = silhouette(&x, &labels, &sample);
        assert!((ours - theirs).abs() < 1e-12, "{ours} vs {theirs}");
        // Two clusters, one of them a singleton.
        let mut two = labels.clone();
        two.iter_mut().for_each(|l| *l = 0);
        two[0] = 1;
        let xs = x.select(Axis(0), &sample);
        let ls: Array1<usize> = sample.iter().map(|&i| two[i]).collect();
        let theirs = DatasetBase::new(xs, ls).silhouette_score().unwrap();
        assert!((silhouette(&x, &two, &sample) - theirs).abs() < 1e-12);
    }

    #[test]
    fn kmeans_finds_separated_groups_deterministically() {
        let x = blobs(1);
        let (a, _) = kmeans(&x, 3, 7).unwrap();
        let (b, _) = kmeans(&x, 3, 7).unwrap();
        assert_eq!(a, b);
        // Members of one blob share a label.
        for blob in 0..3 {
            let l = a[blob * 30];
            assert!((blob * 30..blob * 30 + 30).all(|i| a[i] == l));
        }
        let all: Vec<usize> = (0..90).collect();
        assert!(silhouette(&x, &a, &all) > 0.8);
    }

    #[test]
    fn the_mixture_survives_tight_clusters() {
        // Identical points: a zero covariance that overflows without regularisation.
        let mut x = Array2::zeros((40, 2));
        for i in 20..40 {
            x[[i, 0]] = 5.0;
            x[[i, 1]] = 5.0;
        }
        let p = mixture_probability(&x, 2, 3);
        if let Some(p) = p {
            assert!(p.iter().all(|v| v.is_finite() && *v > 0.0 && *v <= 1.0 + 1e-9));
        }
        let p = mixture_probability(&blobs(2), 3, 3).expect("separated blobs fit");
        assert!(p.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn scaling_is_robust_to_one_extreme_user() {
        let mut raw = Array2::zeros((10, 12));
        for i in 0..10 {
            raw[[i, 3]] = 0.01 * i as f64;
        }
        raw[[9, 3]] = 0.9;
        let x = scale(raw.clone());
        assert!(x[[9, 3]] > 5.0 * x[[8, 3]].abs());
        assert!(x.iter().all(|v| v.is_finite()));
    }
}
