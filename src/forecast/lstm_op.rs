//! One LSTM layer, all time steps, as a single candle custom op with a hand-written
//! backward pass (backpropagation through time).
//!
//! Candle's autograd steps through time op by op: every gate of every step is a separate
//! tensor allocation, strided element-wise kernel and graph node, and gradients are summed
//! into fresh zero tensors, which on small recurrent networks costs far more than the
//! arithmetic. Here the forward pass projects the inputs of all steps in one matrix product,
//! then runs the recurrence in place — one `[B, H] × [H, 4H]` product per step
//! (ndarray / matrixmultiply), the gate nonlinearities in vectorisable loops — and keeps the
//! activations; the backward pass walks the steps in reverse with two products per step and
//! finishes the input weights' gradient in one product. Gradients equal candle's own
//! autograd of the op-by-op formulation (checked in the tests below).
//!
//! Inputs: `x` `[B, L, I+1]`, each step's input with a trailing 1 (so the bias is a column
//! of the weights), and `w` `[4H, I+1+H]` = `[W_ih | b_ih + b_hh | W_hh]`. Output: the last
//! hidden state `[B, H]`, or every step's `[B, L, H]` (for a layer feeding another). Gate
//! order i, f, g, o (PyTorch's); zero initial state.

use super::fused::{input_gradients, project_inputs, step_gradient, Dims, Fused};
use super::kernels::{buffer, recycle, sigmoid, tanh, transpose_steps, wrap};
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2};

/// What the forward pass keeps for the backward pass, for one chunk of batch rows,
/// time-major.
pub struct Chunk {
    /// Batch rows in this chunk.
    rows: usize,
    /// The inputs `[L][rows, I+1]` (the input weights' gradient needs them).
    xt: Vec<f32>,
    /// Gate activations per step: `[L][rows, 4H]` (i, f, g, o after σ / tanh).
    gates: Vec<f32>,
    /// Cell states `[L][rows, H]`.
    c: Vec<f32>,
    /// tanh of the cell states `[L][rows, H]`.
    tanh_c: Vec<f32>,
    /// Hidden states `[L][rows, H]`.
    hs: Vec<f32>,
}

/// The cell (its passes for [`Fused`]); the layer is [`LstmLayer`].
pub struct LstmCell;

/// One LSTM layer, all steps, as one candle op.
pub type LstmLayer = Fused<LstmCell>;

crate::fused_cell!(
    LstmCell,
    "lstm layer",
    gates 4,
    extra 0,
    Chunk,
    forward_chunk_generic,
    backward_chunk_generic
);

#[inline(always)]
fn forward_chunk_generic(
    x: &[f32],
    n: usize,
    d: Dims,
    w: &ArrayView2<'_, f32>,
    out: &mut [f32],
    last_only: bool,
) -> candle_core::Result<Chunk> {
    let Dims { l, i1, h } = d;
    let g4 = 4 * h;
    // W_hhᵀ: [H, 4H].
    let w_hh_t = w.slice(s![.., i1..]).reversed_axes();
    // Input projection of every step at once, time-major: gates [L·n, 4H].
    let (xt, mut gates) = project_inputs(x, n, d, w)?;
    let mut c = buffer(l * n * h);
    let mut tanh_c = buffer(l * n * h);
    let mut hs = buffer(l * n * h);
    for t in 0..l {
        let gt = &mut gates[t * n * g4..(t + 1) * n * g4];
        if t > 0 {
            let h_prev =
                ArrayView2::from_shape((n, h), &hs[(t - 1) * n * h..t * n * h]).map_err(wrap)?;
            let mut g = ArrayViewMut2::from_shape((n, g4), &mut *gt).map_err(wrap)?;
            general_mat_mul(1.0, &h_prev, &w_hh_t, 1.0, &mut g);
        }
        let at = t * n * h;
        let (before, now) = c.split_at_mut(at);
        let c_prev = (t > 0).then(|| &before[at - n * h..]);
        let ct = &mut now[..n * h];
        let tc = &mut tanh_c[at..at + n * h];
        let ht = &mut hs[at..at + n * h];
        for row in 0..n {
            let g = &mut gt[row * g4..(row + 1) * g4];
            // Gate activations: σ for i, f, o; tanh for g (separate loops: they vectorise).
            let (ifg, o) = g.split_at_mut(3 * h);
            let (if_, gg) = ifg.split_at_mut(2 * h);
            if_.iter_mut().for_each(|v| *v = sigmoid(*v));
            gg.iter_mut().for_each(|v| *v = tanh(*v));
            o.iter_mut().for_each(|v| *v = sigmoid(*v));
            let r = row * h..(row + 1) * h;
            let (i, rest) = g.split_at(h);
            let (f, rest) = rest.split_at(h);
            let (gg, o) = rest.split_at(h);
            let (cr, tr, hr) = (&mut ct[r.clone()], &mut tc[r.clone()], &mut ht[r.clone()]);
            match c_prev {
                Some(p) => {
                    let p = &p[r];
                    for j in 0..h {
                        cr[j] = f[j] * p[j] + i[j] * gg[j];
                    }
                }
                None => {
                    for j in 0..h {
                        cr[j] = i[j] * gg[j];
                    }
                }
            }
            for j in 0..h {
                tr[j] = tanh(cr[j]);
                hr[j] = o[j] * tr[j];
            }
        }
    }
    if last_only {
        out.copy_from_slice(&hs[(l - 1) * n * h..]);
    } else {
        transpose_steps(&hs, l, n, h, out);
    }
    Ok(Chunk {
        rows: n,
        xt,
        gates,
        c,
        tanh_c,
        hs,
    })
}

#[inline(always)]
fn backward_chunk_generic(
    k: &Chunk,
    d: Dims,
    grad: &[f32],
    w: &ArrayView2<'_, f32>,
    last_only: bool,
    d_x: Option<&mut [f32]>,
) -> candle_core::Result<Array2<f32>> {
    let Dims { l, i1, h } = d;
    let g4 = 4 * h;
    let n = k.rows;
    // W_hh: [4H, H].
    let w_hh = w.slice(s![.., i1..]);
    // Gradient of every step's gate pre-activations, time-major [L·n, 4H].
    let mut d_gates = buffer(l * n * g4);
    let mut dh_next = Array2::<f32>::zeros((n, h));
    let mut dc_next = vec![0f32; n * h];
    let zeros = vec![0f32; h];
    let mut dh = vec![0f32; h];
    for t in (0..l).rev() {
        let at = t * n * h;
        let gt = &k.gates[t * n * g4..(t + 1) * n * g4];
        let dgt = &mut d_gates[t * n * g4..(t + 1) * n * g4];
        let dhn = dh_next.as_slice().expect("standard layout");
        for row in 0..n {
            let r = row * h..(row + 1) * h;
            step_gradient(&mut dh, &dhn[r.clone()], grad, (row, t, l), last_only);
            let g = &gt[row * g4..(row + 1) * g4];
            let (i, rest) = g.split_at(h);
            let (f, rest) = rest.split_at(h);
            let (gg, o) = rest.split_at(h);
            let tc = &k.tanh_c[at + r.start..at + r.end];
            let c_prev = if t > 0 {
                &k.c[at - n * h + r.start..at - n * h + r.end]
            } else {
                &zeros[..]
            };
            let dcn = &mut dc_next[r];
            let dr = &mut dgt[row * g4..(row + 1) * g4];
            let (di, rest) = dr.split_at_mut(h);
            let (df, rest) = rest.split_at_mut(h);
            let (dgg, do_) = rest.split_at_mut(h);
            for j in 0..h {
                let dc = dcn[j] + dh[j] * o[j] * (1.0 - tc[j] * tc[j]);
                dcn[j] = dc * f[j];
                di[j] = dc * gg[j] * i[j] * (1.0 - i[j]);
                df[j] = dc * c_prev[j] * f[j] * (1.0 - f[j]);
                dgg[j] = dc * i[j] * (1.0 - gg[j] * gg[j]);
                do_[j] = dh[j] * tc[j] * o[j] * (1.0 - o[j]);
            }
        }
        if t > 0 {
            // dh_{t-1} = dG_t · W_hh.
            let dg = ArrayView2::from_shape((n, g4), &*dgt).map_err(wrap)?;
            general_mat_mul(1.0, &dg, &w_hh, 0.0, &mut dh_next);
        }
    }
    let mut d_w = Array2::<f32>::zeros((g4, i1 + h));
    // dW_hh = Σ_t dG_tᵀ · h_{t-1}: one product over steps 1… (time-major rows line up).
    if l > 1 {
        let dg = ArrayView2::from_shape(((l - 1) * n, g4), &d_gates[n * g4..]).map_err(wrap)?;
        let hp =
            ArrayView2::from_shape(((l - 1) * n, h), &k.hs[..(l - 1) * n * h]).map_err(wrap)?;
        let mut d_w_hh = d_w.slice_mut(s![.., i1..]);
        general_mat_mul(1.0, &dg.t(), &hp, 0.0, &mut d_w_hh);
    }
    input_gradients(&d_gates, &k.xt, n, d, w, &mut d_w, d_x)?;
    recycle(d_gates);
    Ok(d_w)
}

#[cfg(test)]
mod tests {
    use super::super::fused::checks;
    use super::super::kernels::exp;
    use super::*;
    use candle_core::Tensor;

    /// The op-by-op formulation candle differentiates by itself.
    fn reference(x: &Tensor, w: &Tensor, last_only: bool) -> candle_core::Result<Tensor> {
        let (b, l, i1) = x.dims3()?;
        let h = w.dim(0)? / 4;
        let w_x_t = w.narrow(1, 0, i1)?.t()?;
        let w_hh_t = w.narrow(1, i1, h)?.t()?;
        let mut ht = Tensor::zeros((b, h), x.dtype(), x.device())?;
        let mut ct = ht.clone();
        let mut out = Vec::new();
        for t in 0..l {
            let xt = x.narrow(1, t, 1)?.squeeze(1)?;
            let gates = (xt.matmul(&w_x_t)? + ht.matmul(&w_hh_t)?)?;
            let i = candle_nn::ops::sigmoid(&gates.narrow(1, 0, h)?)?;
            let f = candle_nn::ops::sigmoid(&gates.narrow(1, h, h)?)?;
            let g = gates.narrow(1, 2 * h, h)?.tanh()?;
            let o = candle_nn::ops::sigmoid(&gates.narrow(1, 3 * h, h)?)?;
            ct = ((f * &ct)? + (i * g)?)?;
            ht = (o * ct.tanh()?)?;
            out.push(ht.clone());
        }
        if last_only {
            Ok(ht)
        } else {
            Tensor::stack(&out, 1)
        }
    }

    #[test]
    fn forward_and_gradients_equal_candle_autograd() -> candle_core::Result<()> {
        checks::against_autograd::<LstmCell>(reference)
    }

    #[test]
    fn fast_exp_sigmoid_tanh_are_accurate() {
        let mut worst = (0f64, 0f64, 0f64);
        for k in -200_000..=200_000 {
            let x = k as f32 * 1e-4; // -20 … 20
            let e = (x as f64).exp();
            worst.0 = worst.0.max(((exp(x) as f64) - e).abs() / e);
            worst.1 = worst
                .1
                .max((sigmoid(x) as f64 - 1.0 / (1.0 + (-x as f64).exp())).abs());
            worst.2 = worst.2.max((tanh(x) as f64 - (x as f64).tanh()).abs());
        }
        assert!(worst.0 < 5e-7, "exp relative error {}", worst.0);
        assert!(worst.1 < 2e-7, "sigmoid absolute error {}", worst.1);
        assert!(worst.2 < 2e-7, "tanh absolute error {}", worst.2);
    }

    #[test]
    fn vectorised_and_baseline_paths_agree_bit_for_bit() -> candle_core::Result<()> {
        checks::paths_agree::<LstmCell>(forward_chunk_generic, backward_chunk_generic)
    }
}
