//! Nelder–Mead minimisation of a few unconstrained parameters (the exponential-smoothing
//! fits; bounds are handled by the caller's transform).
//!
//! By hand: it is 60 lines, the fits need 1–4 parameters and nothing else of an optimisation
//! framework (argmin's Nelder–Mead would bring its solver/executor machinery for this).

/// Minimises `f` from `start`; returns the best point and its value.
pub fn minimise(
    f: impl Fn(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    iterations: usize,
) -> (Vec<f64>, f64) {
    let n = start.len();
    let value = |x: &[f64]| {
        let v = f(x);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = (0..=n)
        .map(|i| {
            let mut x = start.to_vec();
            if i > 0 {
                x[i - 1] += step;
            }
            let v = value(&x);
            (x, v)
        })
        .collect();
    for _ in 0..iterations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if (worst - best).abs() <= 1e-10 * (best.abs() + 1e-300) {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|p| p.0[j]).sum::<f64>() / n as f64)
            .collect();
        let towards = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (simplex[n].0[j] - centroid[j]))
                .collect()
        };
        let reflected = towards(-1.0);
        let fr = value(&reflected);
        if fr < simplex[0].1 {
            let expanded = towards(-2.0);
            let fe = value(&expanded);
            simplex[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            let contracted = if fr < worst {
                towards(-0.5)
            } else {
                towards(0.5)
            };
            let fc = value(&contracted);
            if fc < worst.min(fr) {
                simplex[n] = (contracted, fc);
            } else {
                let lowest = simplex[0].0.clone();
                for p in simplex.iter_mut().skip(1) {
                    for (v, low) in p.0.iter_mut().zip(&lowest) {
                        *v = low + 0.5 * (*v - low);
                    }
                    p.1 = value(&p.0);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_minimum_of_a_quadratic_valley() {
        let (x, v) = super::minimise(
            |p| (p[0] - 1.0).powi(2) + 10.0 * (p[1] + 2.0).powi(2),
            &[0.0, 0.0],
            0.5,
            500,
        );
        assert!(
            (x[0] - 1.0).abs() < 1e-4 && (x[1] + 2.0).abs() < 1e-4 && v < 1e-8,
            "{x:?}"
        );
    }
}
