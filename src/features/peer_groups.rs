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
//! A run of more than [`FIT_SAMPLE_ABOVE`] users fits the KMeans and the
//! mixture on a seeded sample of [`FIT_SAMPLE`] of them and assigns every
//! user to the nearest centroid (and scores each with the fitted mixture):
//! fitting on millions of rows took most of the clustering's memory and
//! time, and a sample of 50,000 rows pins the centroids as well. Every
//! bench and test world (a few thousand users at most) is fitted on all of
//! its users, as before.
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

/// Above this many users, the peer groups are fitted on a seeded sample
/// (far above every bench and test world: those fit on every user).
pub const FIT_SAMPLE_ABOVE: usize = 100_000;

/// Users in the seeded sample the peer groups are fitted on above
/// [`FIT_SAMPLE_ABOVE`] users.
pub const FIT_SAMPLE: usize = 50_000;

/// Rows scored at a time against a mixture fitted on a sample (a bound on
/// the memory of the per-row probabilities).
const PREDICT_CHUNK: usize = 1 << 16;

/// The learned groups.
#[derive(Debug, Clone, Default, PartialEq)]
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
    /// Per feature: the median and spread the profiles were scaled by
    /// (after the log of volumes), for [`PeerGroups::contributions`].
    scaling: Vec<(f64, f64)>,
    /// Per group: its centroid in scaled units.
    centroids: Vec<[f64; 12]>,
    /// Per user: whether their role is the group's most common role.
    pub matches_role: Vec<bool>,
}

impl PeerGroups {
    /// The scaling and the centroids, which [`PeerGroups::contributions`]
    /// reads (what a cluster's codec writes besides the public fields).
    pub fn scaling_and_centroids(&self) -> (&[(f64, f64)], &[[f64; 12]]) {
        (&self.scaling, &self.centroids)
    }

    /// The groups with their [`PeerGroups::scaling_and_centroids`] given
    /// (what a cluster's codec reads back).
    pub fn with_scaling_and_centroids(mut self, scaling: Vec<(f64, f64)>, centroids: Vec<[f64; 12]>) -> PeerGroups {
        self.scaling = scaling;
        self.centroids = centroids;
        self
    }

    /// The scaled distance of each feature of the user at `position` (in
    /// `UserFeatures::users`, whose profile is `profile`) from the group's
    /// centroid, for naming what drives an outlier: computed when asked, as
    /// the clustering computed it, rather than kept for millions of users.
    pub fn contributions(&self, position: usize, profile: &super::Profile) -> [f64; 12] {
        let Some(centroid) = self.assignment.get(position).and_then(|&g| self.centroids.get(g)) else {
            return [0.0; 12];
        };
        let row = scaled_row(profile, &self.scaling);
        std::array::from_fn(|j| row[j] - centroid[j])
    }
}

/// A profile scaled as clustered (`scaling`: each feature's median and
/// spread, after the log of volumes).
fn scaled_row(profile: &super::Profile, scaling: &[(f64, f64)]) -> [f64; 12] {
    std::array::from_fn(|j| {
        let (med, spread) = scaling[j];
        (scaled_value(j, finite_or_zero(profile.values[j])) - med) / spread
    })
}

/// The users' scaled profiles, with each feature's median and spread: a
/// matrix when the groups are fitted on every user; computed again from
/// the profiles when asked when they are fitted on a sample (a matrix of
/// millions of rows is not kept).
struct Scaled<'a> {
    rows: Rows<'a>,
    scaling: Vec<(f64, f64)>,
}

enum Rows<'a> {
    Matrix(Array2<f64>),
    Profiles(&'a [(Code, UserStats)]),
}

impl<'a> Scaled<'a> {
    /// Every user's row in a matrix.
    fn matrix(users: &[(Code, UserStats)]) -> Scaled<'static> {
        let mut x = Array2::<f64>::zeros((users.len(), PROFILE_FEATURES.len()));
        for (i, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
            let profile = users[i].1.profile();
            for (j, slot) in row.iter_mut().enumerate() {
                *slot = finite_or_zero(profile.values[j]);
            }
        }
        let (x, scaling) = scale_with(x);
        Scaled { rows: Rows::Matrix(x), scaling }
    }

    /// Rows computed from the profiles when asked; the scaling as
    /// [`scale_with`] computes it, a feature at a time.
    fn profiles(users: &'a [(Code, UserStats)]) -> Scaled<'a> {
        let scaling = (0..PROFILE_FEATURES.len())
            .map(|j| {
                let mut v: Vec<f64> =
                    users.par_iter().map(|(_, s)| scaled_value(j, finite_or_zero(s.profile().values[j]))).collect();
                v.sort_by(|a, b| a.total_cmp(b));
                median_spread(&v)
            })
            .collect();
        Scaled { rows: Rows::Profiles(users), scaling }
    }

    /// Number of rows.
    fn len(&self) -> usize {
        match &self.rows {
            Rows::Matrix(x) => x.nrows(),
            Rows::Profiles(users) => users.len(),
        }
    }

    /// Row `i`.
    fn row(&self, i: usize) -> [f64; 12] {
        match &self.rows {
            Rows::Matrix(x) => std::array::from_fn(|j| x.get([i, j]).copied().unwrap_or(0.0)),
            Rows::Profiles(users) => scaled_row(&users[i].1.profile(), &self.scaling),
        }
    }

    /// Rows `idx`, in a matrix.
    fn select(&self, idx: &[usize]) -> Array2<f64> {
        match &self.rows {
            Rows::Matrix(x) => x.select(Axis(0), idx),
            Rows::Profiles(_) => {
                let mut out = Array2::zeros((idx.len(), PROFILE_FEATURES.len()));
                for (mut row, &i) in out.axis_iter_mut(Axis(0)).zip(idx) {
                    row.iter_mut().zip(self.row(i)).for_each(|(slot, v)| *slot = v);
                }
                out
            }
        }
    }
}

/// The median and the spread (interquartile range, floored) of a feature's
/// sorted values.
fn median_spread(sorted: &[f64]) -> (f64, f64) {
    let med = quantile(sorted, 0.5);
    let iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
    // Identical users (an IQR of zero) must not make any difference infinite.
    let spread = iqr.max(0.1 * med.abs()).max(0.05);
    (med, spread)
}

/// A profile value as clustered: non-finite values are 0.
fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// Feature `j`'s value before robust scaling: volumes are log-scaled.
fn scaled_value(j: usize, v: f64) -> f64 {
    if LOG_SCALED.contains(&j) {
        v.max(0.0).ln_1p()
    } else {
        v
    }
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
/// Also returns each feature's median and spread.
fn scale_with(mut x: Array2<f64>) -> (Array2<f64>, Vec<(f64, f64)>) {
    for &j in &LOG_SCALED {
        x.column_mut(j).mapv_inplace(|v| scaled_value(j, v));
    }
    let mut scaling = Vec::with_capacity(x.ncols());
    for mut col in x.axis_iter_mut(Axis(1)) {
        let mut v: Vec<f64> = col.iter().copied().collect();
        v.sort_by(|a, b| a.total_cmp(b));
        let (med, spread) = median_spread(&v);
        col.mapv_inplace(|val| (val - med) / spread);
        scaling.push((med, spread));
    }
    (x, scaling)
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

/// The centroids of KMeans fitted on `x`: [`kmeans`]'s fit (its labels of
/// `x`, a sample, cost little beside the fit).
fn kmeans_centroids(x: &Array2<f64>, k: usize, seed: u64) -> Option<Array2<f64>> {
    kmeans(x, k, seed).map(|(_, centroids)| centroids)
}

/// The nearest centroid of each of `rows` of `x` (squared Euclidean
/// distance; the lower index on a tie), in parallel.
fn nearest(x: &Scaled<'_>, centroids: &Array2<f64>, rows: impl IndexedParallelIterator<Item = usize>) -> Vec<usize> {
    rows.map(|i| {
        let row = x.row(i);
        let mut best = (f64::INFINITY, 0);
        for (g, c) in centroids.axis_iter(Axis(0)).enumerate() {
            let d: f64 = row.iter().zip(c.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
            if d < best.0 {
                best = (d, g);
            }
        }
        best.1
    })
    .collect()
}

/// Mean silhouette of the `sample` rows under `labels`, with Euclidean
/// distances among the sample only: the definition of linfa's
/// `silhouette_score` (a singleton cluster's own distance is 0; one cluster
/// scores 1), computed on a flat copy and in parallel over the sample,
/// without allocating per pair. Summed in sample order, so deterministic.
fn silhouette(x: &Array2<f64>, labels: &Array1<usize>, sample: &[usize]) -> f64 {
    let ls: Vec<usize> = sample.iter().map(|&i| labels[i]).collect();
    let rows: Vec<f64> = sample.iter().flat_map(|&i| x.row(i).to_vec()).collect();
    silhouette_of(&rows, x.ncols(), ls)
}

/// [`silhouette`] of the sample's rows end to end (`d` values each) and
/// their labels.
fn silhouette_of(rows: &[f64], d: usize, ls: Vec<usize>) -> f64 {
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
    mixture_probability_fitted_on(x, None, k, seed)
}

/// [`mixture_probability`] with the mixture fitted on `fit` when given
/// (a sample of `x`'s rows), every row of `x` scored a chunk at a time.
fn mixture_probability_fitted_on(x: &Array2<f64>, fit: Option<&Array2<f64>>, k: usize, seed: u64) -> Option<Vec<f64>> {
    mixture_fit(fit.unwrap_or(x), k, seed, &mut |model| match fit {
        None => best_of(model.predict_proba(x)),
        Some(_) => {
            x.axis_chunks_iter(Axis(0), PREDICT_CHUNK).flat_map(|chunk| best_of(model.predict_proba(&chunk))).collect()
        }
    })
}

/// The probability of the most likely component, per row.
fn best_of(proba: Array2<f64>) -> Vec<f64> {
    proba.axis_iter(Axis(0)).map(|row| row.iter().copied().fold(0.0, f64::max)).collect()
}

/// The mixture fitted on `fit` (regularised, refitted with more on
/// failure), every row scored by `score`; `None` when it cannot be fitted
/// without NaN.
fn mixture_fit(
    fit: &Array2<f64>,
    k: usize,
    seed: u64,
    score: &mut dyn FnMut(&GaussianMixtureModel<f64>) -> Vec<f64>,
) -> Option<Vec<f64>> {
    let data = DatasetBase::from(fit.view());
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
        let best = score(&model);
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

/// KMeans for k = 2..=`max_k` on `x` (on `fit` when given: a sample of
/// `x`'s rows), the k with the best silhouette on the `sample` rows kept:
/// its silhouette, k, every row's label (its nearest centroid when fitted
/// on a sample) and the centroids.
fn best_fit(
    x: &Scaled<'_>,
    fit: Option<&Array2<f64>>,
    sample: &[usize],
    max_k: usize,
    seed: u64,
) -> Option<(f64, usize, Array1<usize>, Array2<f64>)> {
    // The sample's rows, for the silhouettes of fits on a sample.
    let sample_rows: Vec<f64> = match fit {
        Some(_) => sample.iter().flat_map(|&i| x.row(i)).collect(),
        None => Vec::new(),
    };
    // Each k is fitted with its own seeded generator, so fitting them in
    // parallel gives the same models; the choice runs in k order as before.
    // A fit on a sample labels only the silhouette's sample; every user is
    // labelled once, for the chosen k.
    let fits: Vec<Option<(f64, Option<Array1<usize>>, Array2<f64>)>> = (2..=max_k)
        .into_par_iter()
        .map(|k| match (fit, &x.rows) {
            (None, Rows::Matrix(m)) => {
                let (labels, centroids) = kmeans(m, k, seed)?;
                let s = silhouette(m, &labels, sample);
                Some((s, Some(labels), centroids))
            }
            (None, Rows::Profiles(_)) => None,
            (Some(fit), _) => {
                let centroids = kmeans_centroids(fit, k, seed)?;
                let ls = nearest(x, &centroids, sample.par_iter().copied());
                Some((silhouette_of(&sample_rows, PROFILE_FEATURES.len(), ls), None, centroids))
            }
        })
        .collect();
    let mut best: Option<(f64, usize, Option<Array1<usize>>, Array2<f64>)> = None;
    for (k, fit) in (2..=max_k).zip(fits) {
        let Some((s, labels, centroids)) = fit else { continue };
        if best.as_ref().is_none_or(|b| s > b.0 + 1e-9) {
            best = Some((s, k, labels, centroids));
        }
    }
    let (silhouette, k, labels, centroids) = best?;
    let labels = match labels {
        Some(labels) => labels,
        None => Array1::from(nearest(x, &centroids, (0..x.len()).into_par_iter())),
    };
    Some((silhouette, k, labels, centroids))
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
    let raw = |i: usize, j: usize| finite_or_zero(users[i].1.profile().values[j]);
    let sampled = n > FIT_SAMPLE_ABOVE;
    let x = if sampled { Scaled::profiles(users) } else { Scaled::matrix(users) };
    let mut rng = Xoshiro256Plus::seed_from_u64(params.seed);
    let mut sample: Vec<usize> = (0..n).collect();
    sample.shuffle(&mut rng);
    sample.truncate(params.silhouette_sample as usize);
    sample.sort_unstable();

    // Many users: the fits run on a seeded sample of them (its own
    // generator, so the silhouette's sample is the one it always was).
    let fit_x: Option<Array2<f64>> = sampled.then(|| {
        let mut rng = Xoshiro256Plus::seed_from_u64(params.seed ^ 0x0f17_5a3d_1e5e_ed00);
        let mut rows = rand::seq::index::sample(&mut rng, n, FIT_SAMPLE.min(n)).into_vec();
        rows.sort_unstable();
        x.select(&rows)
    });

    let max_k = (params.max_k as usize).min(n / 10).max(2);
    let (silhouette, k_found, labels, centroids) = best_fit(&x, fit_x.as_ref(), &sample, max_k, params.seed)?;
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
        membership_probability: match (&x.rows, &fit_x) {
            (Rows::Matrix(m), fit) => mixture_probability_fitted_on(m, fit.as_ref(), k, params.seed),
            (Rows::Profiles(_), Some(fit)) => mixture_fit(fit, k, params.seed, &mut |model| {
                let all: Vec<usize> = (0..n).collect();
                all.chunks(PREDICT_CHUNK).flat_map(|rows| best_of(model.predict_proba(&x.select(rows)))).collect()
            }),
            (Rows::Profiles(_), None) => None,
        },
        assignment,
        outlier,
        labels: labels_text,
        sizes,
        medians,
        scaling: x.scaling.clone(),
        centroids: centroids.axis_iter(Axis(0)).map(|c| std::array::from_fn(|j| c[j])).collect(),
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
    fn a_fit_on_a_sample_finds_the_groups_a_fit_on_every_row_finds() {
        // Three separated blobs of 1,000 rows (in 3 of the 12 features);
        // the sample holds 150 rows.
        use rand::Rng;
        let mut rng = Xoshiro256Plus::seed_from_u64(9);
        let mut x = Array2::zeros((3000, PROFILE_FEATURES.len()));
        for i in 0..3000 {
            for j in 0..3 {
                x[[i, j]] = (i / 1000) as f64 * 10.0 + rng.gen_range(-1.0..1.0);
            }
        }
        let sample: Vec<usize> = (0..3000).step_by(7).collect();
        let rows: Vec<usize> = (0..3000).step_by(20).collect();
        let fit = x.select(Axis(0), &rows);
        let x = Scaled { rows: Rows::Matrix(x), scaling: Vec::new() };
        let (_, k_all, all, _) = best_fit(&x, None, &sample, 6, 4).expect("fitted on every row");
        let (s, k, some, centroids) = best_fit(&x, Some(&fit), &sample, 6, 4).expect("fitted on a sample");
        assert_eq!((k_all, k), (3, 3));
        assert!(s > 0.8, "{s}");
        assert_eq!(some.len(), 3000, "every row is labelled");
        assert_eq!(centroids.nrows(), 3);
        // The same partition of the rows, whatever the groups' numbers.
        for i in 0..3000 {
            assert!(some[i] == some[(i / 1000) * 1000], "row {i} is with its blob");
            assert!(all[i] == all[(i / 1000) * 1000]);
        }
        let firsts: std::collections::BTreeSet<usize> = [0, 1000, 2000].iter().map(|&i| some[i]).collect();
        assert_eq!(firsts.len(), 3, "three groups");
        // Deterministic.
        assert_eq!(best_fit(&x, Some(&fit), &sample, 6, 4).expect("again").2, some);
    }

    #[test]
    fn rows_computed_from_the_profiles_are_the_matrix_rows() {
        use crate::features::UserStats;
        // Users with varied counts (their profiles differ feature by feature).
        let users: Vec<(Code, UserStats)> = (0..40u32)
            .map(|u| {
                let mut s = UserStats {
                    events: 10 + u * 3,
                    patient_accesses: 5 + u * 2,
                    distinct_patients: 1 + u % 7,
                    unexplained_accesses: u % 5,
                    after_hours_accesses: u % 3,
                    weekend_accesses: u % 4,
                    active_days: 1 + u % 6,
                    prints: u % 2,
                    exports: u % 9,
                    distinct_workstations: 1 + u % 3,
                    sensitive_accesses: u % 8,
                    other_department_patients: u % 2,
                    peer_shared_patients: u % 3,
                    has_home: u % 5 != 0,
                    unexplained_patients: u % 4,
                    team_only_patients: 0,
                    break_glass: 0,
                    distinct_ips: 1,
                    categories: [0; crate::features::CATEGORIES],
                    usual_hours: crate::features::UsualHours::default_window(&Default::default()),
                    days: Vec::new(),
                    busiest: Default::default(),
                };
                s.busiest.peak_hour_patients = u % 11;
                s.busiest.patient_days = u * 2;
                (u, s)
            })
            .collect();
        let (m, p) = (Scaled::matrix(&users), Scaled::profiles(&users));
        assert_eq!(m.len(), 40);
        assert_eq!(m.scaling, p.scaling);
        let all: Vec<usize> = (0..40).collect();
        assert_eq!(m.select(&all), p.select(&all));
        for i in 0..40 {
            assert_eq!(m.row(i).map(f64::to_bits), p.row(i).map(f64::to_bits), "user {i}");
        }
    }

    #[test]
    fn contributions_are_the_scaled_distances_from_the_centroid() {
        let mut raw = Array2::zeros((10, 12));
        for i in 0..10 {
            for j in 0..12 {
                raw[[i, j]] = (i * (j + 1)) as f64 * 0.37;
            }
        }
        let (x, scaling) = scale_with(raw.clone());
        let centroid: [f64; 12] = std::array::from_fn(|j| 0.1 * j as f64);
        let groups = PeerGroups {
            k: 1,
            silhouette: 1.0,
            assignment: vec![0; 10],
            outlier: vec![0.0; 10],
            membership_probability: None,
            labels: vec!["1".into()],
            sizes: vec![10],
            medians: vec![[0.0; 12]],
            scaling,
            centroids: vec![centroid],
            matches_role: vec![false; 10],
        };
        for i in 0..10 {
            let profile = super::super::Profile { values: std::array::from_fn(|j| raw[[i, j]]) };
            let c = groups.contributions(i, &profile);
            for j in 0..12 {
                assert_eq!(c[j].to_bits(), (x[[i, j]] - centroid[j]).to_bits(), "user {i}, feature {j}");
            }
        }
        assert_eq!(groups.contributions(10, &super::super::Profile::default()), [0.0; 12], "no such user");
    }

    #[test]
    fn scaling_is_robust_to_one_extreme_user() {
        let mut raw = Array2::zeros((10, 12));
        for i in 0..10 {
            raw[[i, 3]] = 0.01 * i as f64;
        }
        raw[[9, 3]] = 0.9;
        let (x, _) = scale_with(raw.clone());
        assert!(x[[9, 3]] > 5.0 * x[[8, 3]].abs());
        assert!(x.iter().all(|v| v.is_finite()));
    }
}
