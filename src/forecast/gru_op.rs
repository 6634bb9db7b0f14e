//! One GRU layer, all time steps, as a single candle custom op with a hand-written backward
//! pass — the LSTM's treatment ([`super::lstm_op`]) for the gated recurrent unit.
//!
//! PyTorch's (and Keras' `reset_after`) GRU, gate order r, z, n:
//!
//! ```text
//! r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr)
//! z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)
//! n = tanh(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn))
//! h' = (1 − z) ⊙ n + z ⊙ h
//! ```
//!
//! Inputs: `x` `[B, L, I+1]` (each step's input with a trailing 1) and `w`
//! `[3H, I+1+H+1]` = `[W_ih | b_ih | W_hh | b_hh]` (the hidden bias stays apart: b_hn sits
//! inside r ⊙ (…)). Output: the last hidden state `[B, H]`, or every step's `[B, L, H]`.
//! Forward: the input projection of all steps in one product, then per step one
//! `[n, H] × [H, 3H]` product and vectorisable gate loops; backward: per step one product
//! back through W_hh, then the weights' gradients in three products over all steps.
//! Gradients equal candle's autograd of the op-by-op cell (tests below).

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use super::kernels::{buffer, contiguous, recycle, sigmoid, tanh, transpose_steps, wrap};
use crate::dispatched;

/// What the forward pass keeps for the backward pass, for one chunk of rows, time-major.
struct Chunk {
    rows: usize,
    /// Inputs `[L][rows, I+1]`.
    xt: Vec<f32>,
    /// Gate activations `[L][rows, 3H]` (r, z, n).
    gates: Vec<f32>,
    /// The hidden projection of the n gate, h·W_hnᵀ + b_hn, `[L][rows, H]`.
    gh_n: Vec<f32>,
    /// Hidden states `[L][rows, H]`.
    hs: Vec<f32>,
}

impl Drop for Chunk {
    fn drop(&mut self) {
        for v in [
            std::mem::take(&mut self.xt),
            std::mem::take(&mut self.gates),
            std::mem::take(&mut self.gh_n),
            std::mem::take(&mut self.hs),
        ] {
            recycle(v);
        }
    }
}

#[derive(Clone, Copy)]
struct Dims {
    l: usize,
    i1: usize,
    h: usize,
}

struct Cache {
    dims: Dims,
    per: usize,
    chunks: Vec<Chunk>,
}

/// The op; a new one per forward call (it holds that call's cache). Batch rows are cut into
/// one chunk per thread, as for the LSTM.
pub struct GruLayer {
    last_only: bool,
    cache: Mutex<Option<Cache>>,
}

dispatched!(
    /// Forward pass of `n` sequences `x` `[n, L, I+1]`; hidden states to `out`.
    fn forward_chunk => forward_chunk_generic(
        x: &[f32], n: usize, d: Dims, w: &ArrayView2<'_, f32>, out: &mut [f32], last_only: bool
    ) -> candle_core::Result<Chunk>
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
    let g3 = 3 * h;
    let w_x_t = w.slice(s![.., ..i1]).reversed_axes(); // [I+1, 3H]
    let w_hh_t = w.slice(s![.., i1..i1 + h]).reversed_axes(); // [H, 3H]
    let b_hh: Vec<f32> = w.slice(s![.., i1 + h]).to_vec();
    let mut xt = buffer(l * n * i1);
    transpose_steps(x, n, l, i1, &mut xt);
    let mut gates = buffer(l * n * g3);
    {
        let xs = ArrayView2::from_shape((l * n, i1), &xt[..]).map_err(wrap)?;
        let mut p = ArrayViewMut2::from_shape((l * n, g3), &mut gates[..]).map_err(wrap)?;
        general_mat_mul(1.0, &xs, &w_x_t, 0.0, &mut p);
    }
    let mut gh_n = buffer(l * n * h);
    let mut hs = buffer(l * n * h);
    let mut gh = vec![0f32; n * g3];
    for t in 0..l {
        // gh = h_{t−1}·W_hhᵀ + b_hh.
        for row in 0..n {
            gh[row * g3..(row + 1) * g3].copy_from_slice(&b_hh);
        }
        if t > 0 {
            let h_prev =
                ArrayView2::from_shape((n, h), &hs[(t - 1) * n * h..t * n * h]).map_err(wrap)?;
            let mut g = ArrayViewMut2::from_shape((n, g3), &mut gh[..]).map_err(wrap)?;
            general_mat_mul(1.0, &h_prev, &w_hh_t, 1.0, &mut g);
        }
        let at = t * n * h;
        let (before, now) = hs.split_at_mut(at);
        let h_prev = (t > 0).then(|| &before[at - n * h..]);
        let ht = &mut now[..n * h];
        let gt = &mut gates[t * n * g3..(t + 1) * n * g3];
        let ght = &mut gh_n[at..at + n * h];
        for row in 0..n {
            let g = &mut gt[row * g3..(row + 1) * g3];
            let hrow = &gh[row * g3..(row + 1) * g3];
            let (rz, nn) = g.split_at_mut(2 * h);
            for (a, b) in rz.iter_mut().zip(&hrow[..2 * h]) {
                *a = sigmoid(*a + b);
            }
            let (r, z) = rz.split_at(h);
            let hn = &hrow[2 * h..];
            ght[row * h..(row + 1) * h].copy_from_slice(hn);
            for j in 0..h {
                nn[j] += r[j] * hn[j];
            }
            nn.iter_mut().for_each(|v| *v = tanh(*v));
            let hr = &mut ht[row * h..(row + 1) * h];
            match h_prev {
                Some(p) => {
                    let p = &p[row * h..(row + 1) * h];
                    for j in 0..h {
                        hr[j] = (1.0 - z[j]) * nn[j] + z[j] * p[j];
                    }
                }
                None => {
                    for j in 0..h {
                        hr[j] = (1.0 - z[j]) * nn[j];
                    }
                }
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
        gh_n,
        hs,
    })
}

dispatched!(
    /// Backward pass of one chunk: its share of the weights' gradient `[3H, I+1+H+1]`, and
    /// the inputs' gradient `[n, L, I+1]` into `d_x` when asked.
    fn backward_chunk => backward_chunk_generic(
        k: &Chunk, d: Dims, grad: &[f32], w: &ArrayView2<'_, f32>, last_only: bool,
        d_x: Option<&mut [f32]>
    ) -> candle_core::Result<Array2<f32>>
);

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
    let g3 = 3 * h;
    let n = k.rows;
    let w_hh = w.slice(s![.., i1..i1 + h]); // [3H, H]
                                            // Gradients of the input projections (r, z, n pre-activations) and of the hidden
                                            // projections (the same for r and z; r ⊙ for n), time-major [L·n, 3H].
    let mut d_gx = buffer(l * n * g3);
    let mut d_gh = buffer(l * n * g3);
    let mut dh_next = Array2::<f32>::zeros((n, h));
    let zeros = vec![0f32; h];
    let mut dh = vec![0f32; h];
    for t in (0..l).rev() {
        let at = t * n * h;
        let gt = &k.gates[t * n * g3..(t + 1) * n * g3];
        let dxt = &mut d_gx[t * n * g3..(t + 1) * n * g3];
        let dht = &mut d_gh[t * n * g3..(t + 1) * n * g3];
        let dhn = dh_next.as_slice_mut().expect("standard layout");
        for row in 0..n {
            let rr = row * h..(row + 1) * h;
            dh.copy_from_slice(&dhn[rr.clone()]);
            let upstream = if last_only {
                (t + 1 == l).then(|| &grad[rr.clone()])
            } else {
                Some(&grad[(row * l + t) * h..(row * l + t + 1) * h])
            };
            if let Some(u) = upstream {
                dh.iter_mut().zip(u).for_each(|(a, b)| *a += b);
            }
            let g = &gt[row * g3..(row + 1) * g3];
            let (r, rest) = g.split_at(h);
            let (z, nn) = rest.split_at(h);
            let hn = &k.gh_n[at + rr.start..at + rr.end];
            let h_prev = if t > 0 {
                &k.hs[at - n * h + rr.start..at - n * h + rr.end]
            } else {
                &zeros[..]
            };
            let dx = &mut dxt[row * g3..(row + 1) * g3];
            let (dxr, rest) = dx.split_at_mut(h);
            let (dxz, dxn) = rest.split_at_mut(h);
            let dg = &mut dht[row * g3..(row + 1) * g3];
            let (dgr, rest) = dg.split_at_mut(h);
            let (dgz, dgn) = rest.split_at_mut(h);
            let direct = &mut dhn[rr];
            for j in 0..h {
                let da_n = dh[j] * (1.0 - z[j]) * (1.0 - nn[j] * nn[j]);
                let da_z = dh[j] * (h_prev[j] - nn[j]) * z[j] * (1.0 - z[j]);
                let da_r = da_n * hn[j] * r[j] * (1.0 - r[j]);
                dxr[j] = da_r;
                dxz[j] = da_z;
                dxn[j] = da_n;
                dgr[j] = da_r;
                dgz[j] = da_z;
                dgn[j] = da_n * r[j];
                // The part of dh_{t−1} that does not go through W_hh.
                direct[j] = dh[j] * z[j];
            }
        }
        if t > 0 {
            // dh_{t−1} = dh ⊙ z + dGh_t · W_hh.
            let dg = ArrayView2::from_shape((n, g3), &*dht).map_err(wrap)?;
            general_mat_mul(1.0, &dg, &w_hh, 1.0, &mut dh_next);
        }
    }
    let mut d_w = Array2::<f32>::zeros((g3, i1 + h + 1));
    // dW_hh = Σ_t dGh_tᵀ · h_{t−1} (h_{−1} = 0).
    if l > 1 {
        let dg = ArrayView2::from_shape(((l - 1) * n, g3), &d_gh[n * g3..]).map_err(wrap)?;
        let hp =
            ArrayView2::from_shape(((l - 1) * n, h), &k.hs[..(l - 1) * n * h]).map_err(wrap)?;
        let mut d_w_hh = d_w.slice_mut(s![.., i1..i1 + h]);
        general_mat_mul(1.0, &dg.t(), &hp, 0.0, &mut d_w_hh);
    }
    // db_hh = Σ over every step and row of dGh.
    for row in d_gh.chunks_exact(g3) {
        for (j, v) in row.iter().enumerate() {
            d_w[[j, i1 + h]] += v;
        }
    }
    let dgs = ArrayView2::from_shape((l * n, g3), &d_gx[..]).map_err(wrap)?;
    let xs = ArrayView2::from_shape((l * n, i1), &k.xt[..]).map_err(wrap)?;
    let mut d_w_x = d_w.slice_mut(s![.., ..i1]);
    general_mat_mul(1.0, &dgs.t(), &xs, 0.0, &mut d_w_x);
    if let Some(d_x) = d_x {
        let mut dxt = buffer(l * n * i1);
        {
            let mut dx = ArrayViewMut2::from_shape((l * n, i1), &mut dxt[..]).map_err(wrap)?;
            general_mat_mul(1.0, &dgs, &w.slice(s![.., ..i1]), 0.0, &mut dx);
        }
        transpose_steps(&dxt, l, n, i1, d_x);
        recycle(dxt);
    }
    recycle(d_gx);
    recycle(d_gh);
    Ok(d_w)
}

impl GruLayer {
    /// Runs the layer on `x` `[B, L, I+1]` with weights `w` `[3H, I+1+H+1]`: the last hidden
    /// state `[B, H]` if `last_only`, else all `[B, L, H]`.
    pub fn apply(x: &Tensor, w: &Tensor, last_only: bool) -> candle_core::Result<Tensor> {
        x.contiguous()?.apply_op2(
            &w.contiguous()?,
            GruLayer {
                last_only,
                cache: Mutex::new(None),
            },
        )
    }
}

impl CustomOp2 for GruLayer {
    fn name(&self) -> &'static str {
        "gru-layer"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (b, l, i1) = l1.shape().dims3()?;
        let (g3, cols) = l2.shape().dims2()?;
        let h = g3 / 3;
        if g3 != 3 * h || cols != i1 + h + 1 || l == 0 {
            candle_core::bail!("gru layer: x [B, {l}, {i1}] does not match w [{g3}, {cols}]");
        }
        let d = Dims { l, i1, h };
        let x = contiguous(s1, l1, "x")?;
        let w = ArrayView2::from_shape((g3, cols), contiguous(s2, l2, "w")?).map_err(wrap)?;
        let per = b.div_ceil(rayon::current_num_threads().max(1)).max(8);
        let out_row = if self.last_only { h } else { l * h };
        let mut out = vec![0f32; b * out_row];
        let chunks = out
            .par_chunks_mut(per * out_row)
            .enumerate()
            .map(|(k, out)| {
                let n = out.len() / out_row;
                let start = k * per * l * i1;
                let x = &x[start..start + n * l * i1];
                forward_chunk(x, n, d, &w, out, self.last_only)
            })
            .collect::<candle_core::Result<Vec<Chunk>>>()?;
        *self.cache.lock().expect("gru cache lock") = Some(Cache {
            dims: d,
            per,
            chunks,
        });
        let shape = if self.last_only {
            Shape::from((b, h))
        } else {
            Shape::from((b, l, h))
        };
        Ok((CpuStorage::F32(out), shape))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let guard = self.cache.lock().expect("gru cache lock");
        let Some(cache) = guard.as_ref() else {
            candle_core::bail!("gru layer: backward before forward");
        };
        let (d, per) = (cache.dims, cache.per);
        let Dims { l, i1, h } = d;
        let b: usize = cache.chunks.iter().map(|c| c.rows).sum();
        let grad = grad_res.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let w = w.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let w = ArrayView2::from_shape((3 * h, i1 + h + 1), &w[..]).map_err(wrap)?;
        let out_row = if self.last_only { h } else { l * h };
        let mut d_x = x.track_op().then(|| vec![0f32; b * l * i1]);
        let mut d_x_chunks: Vec<Option<&mut [f32]>> = match d_x.as_mut() {
            Some(v) => v.chunks_mut(per * l * i1).map(Some).collect(),
            None => (0..cache.chunks.len()).map(|_| None).collect(),
        };
        let shares = cache
            .chunks
            .par_iter()
            .zip(d_x_chunks.par_iter_mut())
            .enumerate()
            .map(|(k, (chunk, d_x))| {
                let n = chunk.rows;
                let grad = &grad[k * per * out_row..][..n * out_row];
                backward_chunk(chunk, d, grad, &w, self.last_only, d_x.take())
            })
            .collect::<candle_core::Result<Vec<Array2<f32>>>>()?;
        let mut d_w = Array2::<f32>::zeros((3 * h, i1 + h + 1));
        for share in &shares {
            d_w += share;
        }
        let dev = grad_res.device();
        let d_w = Tensor::from_vec(d_w.into_raw_vec_and_offset().0, (3 * h, i1 + h + 1), dev)?;
        let d_x = d_x
            .map(|v| Tensor::from_vec(v, (b, l, i1), dev))
            .transpose()?;
        Ok((d_x, Some(d_w)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    /// The op-by-op GRU candle differentiates by itself.
    fn reference(x: &Tensor, w: &Tensor, last_only: bool) -> candle_core::Result<Tensor> {
        let (b, l, i1) = x.dims3()?;
        let h = w.dim(0)? / 3;
        let w_x_t = w.narrow(1, 0, i1)?.t()?;
        let w_hh_t = w.narrow(1, i1, h)?.t()?;
        let b_hh = w.narrow(1, i1 + h, 1)?.squeeze(1)?;
        let mut ht = Tensor::zeros((b, h), x.dtype(), x.device())?;
        let mut out = Vec::new();
        for t in 0..l {
            let xt = x.narrow(1, t, 1)?.squeeze(1)?;
            let gx = xt.matmul(&w_x_t)?;
            let gh = ht.matmul(&w_hh_t)?.broadcast_add(&b_hh)?;
            let r = candle_nn::ops::sigmoid(&(gx.narrow(1, 0, h)? + gh.narrow(1, 0, h)?)?)?;
            let z = candle_nn::ops::sigmoid(&(gx.narrow(1, h, h)? + gh.narrow(1, h, h)?)?)?;
            let n = (gx.narrow(1, 2 * h, h)? + (&r * gh.narrow(1, 2 * h, h)?)?)?.tanh()?;
            ht = (((z.ones_like()? - &z)? * n)? + (z * &ht)?)?;
            out.push(ht.clone());
        }
        if last_only {
            Ok(ht)
        } else {
            Tensor::stack(&out, 1)
        }
    }

    fn max_rel(a: &Tensor, e: &Tensor) -> f32 {
        let a = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let e = e.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(a.len(), e.len());
        a.iter()
            .zip(&e)
            .map(|(x, y)| (x - y).abs() / (1.0 + y.abs()))
            .fold(0.0, f32::max)
    }

    #[test]
    fn forward_and_gradients_equal_candle_autograd() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let (b, l, i1, h) = (20, 7, 4, 5);
        for last_only in [true, false] {
            let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (b, l, i1), &dev)?)?;
            let w = Var::from_tensor(&Tensor::randn(0f32, 0.5, (3 * h, i1 + h + 1), &dev)?)?;
            let ours = GruLayer::apply(x.as_tensor(), w.as_tensor(), last_only)?;
            let theirs = reference(x.as_tensor(), w.as_tensor(), last_only)?;
            assert!(max_rel(&ours, &theirs) < 1e-6);
            let weights = Tensor::randn(0f32, 1.0, ours.shape(), &dev)?;
            let g_ours = (ours * &weights)?.sum_all()?.backward()?;
            let g_theirs = (theirs * &weights)?.sum_all()?.backward()?;
            for v in [&x, &w] {
                let e = max_rel(
                    g_ours.get(v).expect("gradient"),
                    g_theirs.get(v).expect("gradient"),
                );
                assert!(e < 1e-5, "last_only {last_only}: gradient differs by {e}");
            }
        }
        Ok(())
    }

    #[test]
    fn vectorised_and_baseline_paths_agree_bit_for_bit() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let (n, l, i1, h) = (9, 6, 2, 7);
        let x = Tensor::randn(0f32, 1.0, (n, l, i1), &dev)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let w = Tensor::randn(0f32, 0.5, (3 * h, i1 + h + 1), &dev)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let w = ArrayView2::from_shape((3 * h, i1 + h + 1), &w[..]).unwrap();
        let d = Dims { l, i1, h };
        let grad = vec![0.3f32; n * l * h];
        let run = |generic: bool| {
            let mut out = vec![0f32; n * l * h];
            let mut d_x = vec![0f32; n * l * i1];
            let chunk = if generic {
                forward_chunk_generic(&x, n, d, &w, &mut out, false)
            } else {
                forward_chunk(&x, n, d, &w, &mut out, false)
            }
            .unwrap();
            let d_w = if generic {
                backward_chunk_generic(&chunk, d, &grad, &w, false, Some(&mut d_x))
            } else {
                backward_chunk(&chunk, d, &grad, &w, false, Some(&mut d_x))
            }
            .unwrap();
            (out, d_x, d_w.into_raw_vec_and_offset().0)
        };
        assert_eq!(run(true), run(false));
        Ok(())
    }
}
