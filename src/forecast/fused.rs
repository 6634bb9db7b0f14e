//! What the fused recurrent layers share: the candle custom op that cuts a batch into one
//! chunk of rows per thread, runs a cell's whole recurrence on each ([`Cell::forward`]),
//! keeps the chunks for the backward pass ([`Cell::backward`]) and sums the weights'
//! gradient in chunk order — results repeat for a given thread count.
//!
//! Inputs of every layer: `x` `[B, L, I+1]` (each step's input with a trailing 1, so the
//! bias is a column of the weights) and `w` `[G·H, I+1+H+extra]`. Output: the last hidden
//! state `[B, H]`, or every step's `[B, L, H]` (for a layer feeding another).

use std::marker::PhantomData;
use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use super::kernels::{buffer, contiguous, recycle, transpose_steps, wrap};

/// The forward pass's start, shared by the cells: the inputs `x` `[n, L, I+1]` made
/// time-major (`xt` `[L·n, I+1]`, kept for the backward pass) and projected through the
/// input weights and bias `w[.., ..I+1]` for every step in one product: `[L·n, G]`.
pub(crate) fn project_inputs(
    x: &[f32],
    n: usize,
    d: Dims,
    w: &ArrayView2<'_, f32>,
) -> candle_core::Result<(Vec<f32>, Vec<f32>)> {
    let Dims { l, i1, .. } = d;
    let g = w.nrows();
    let mut xt = buffer(l * n * i1);
    transpose_steps(x, n, l, i1, &mut xt);
    let mut gates = buffer(l * n * g);
    {
        let xs = ArrayView2::from_shape((l * n, i1), &xt[..]).map_err(wrap)?;
        let mut p = ArrayViewMut2::from_shape((l * n, g), &mut gates[..]).map_err(wrap)?;
        general_mat_mul(1.0, &xs, &w.slice(s![.., ..i1]).t(), 0.0, &mut p);
    }
    Ok((xt, gates))
}

/// The gradient reaching row `row`'s hidden state at step `t` of `l`, into `dh`: what flows
/// back from step t+1 (`from_next`) plus the upstream gradient of this step's output (only
/// the last step has one when the layer outputs `last_only`).
#[inline(always)]
pub(crate) fn step_gradient(
    dh: &mut [f32],
    from_next: &[f32],
    grad: &[f32],
    (row, t, l): (usize, usize, usize),
    last_only: bool,
) {
    let h = dh.len();
    dh.copy_from_slice(from_next);
    let upstream = if last_only {
        (t + 1 == l).then(|| &grad[row * h..(row + 1) * h])
    } else {
        Some(&grad[(row * l + t) * h..(row * l + t + 1) * h])
    };
    if let Some(u) = upstream {
        dh.iter_mut().zip(u).for_each(|(a, b)| *a += b);
    }
}

/// The backward pass's end, shared by the cells: the input weights' and bias' gradient
/// `dW_x = dGᵀ · X` over all steps into `d_w[.., ..I+1]`, and, when asked, the inputs'
/// `dX = dG · W_x` back to batch-major `d_x` `[n, L, I+1]`. `d_gates` `[L·n, G]` are the
/// gradients of the input projections.
pub(crate) fn input_gradients(
    d_gates: &[f32],
    xt: &[f32],
    n: usize,
    d: Dims,
    w: &ArrayView2<'_, f32>,
    d_w: &mut Array2<f32>,
    d_x: Option<&mut [f32]>,
) -> candle_core::Result<()> {
    let Dims { l, i1, .. } = d;
    let g = w.nrows();
    let dgs = ArrayView2::from_shape((l * n, g), d_gates).map_err(wrap)?;
    let xs = ArrayView2::from_shape((l * n, i1), xt).map_err(wrap)?;
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
    Ok(())
}

/// Sizes of one call.
#[derive(Clone, Copy)]
pub struct Dims {
    pub(crate) l: usize,
    /// Input features + 1 (the bias column).
    pub(crate) i1: usize,
    pub(crate) h: usize,
}

/// A recurrent cell's forward and backward pass over one chunk of sequences.
pub trait Cell: Send + Sync + 'static {
    const NAME: &'static str;
    /// Gates per hidden unit (rows of the weights per unit).
    const GATES: usize;
    /// Weight columns besides the inputs, the bias and W_hh (the GRU's hidden bias: 1).
    const EXTRA: usize;
    /// What the forward pass keeps for the backward pass.
    type Chunk: Send + Sync;

    /// Forward pass of `n` sequences `x` `[n, L, I+1]`: hidden states (all, or the last) to
    /// `out`.
    fn forward(
        x: &[f32],
        n: usize,
        d: Dims,
        w: &ArrayView2<'_, f32>,
        out: &mut [f32],
        last_only: bool,
    ) -> candle_core::Result<Self::Chunk>;

    fn rows(chunk: &Self::Chunk) -> usize;

    /// Backward pass of a chunk: its share of the weights' gradient, and the inputs'
    /// gradient `[n, L, I+1]` into `d_x` when asked.
    fn backward(
        chunk: &Self::Chunk,
        d: Dims,
        grad: &[f32],
        w: &ArrayView2<'_, f32>,
        last_only: bool,
        d_x: Option<&mut [f32]>,
    ) -> candle_core::Result<Array2<f32>>;
}

/// Implements [`Cell`] for `$cell` from its two passes written once, generically:
/// `$fwd(x, n, d, w, out, last_only)` and `$bwd(chunk, d, grad, w, last_only, d_x)`, each
/// compiled for AVX2 + FMA where the CPU has them ([`crate::dispatched`]).
#[doc(hidden)]
#[macro_export]
macro_rules! fused_cell {
    ($cell:ident, $name:literal, gates $gates:literal, extra $extra:literal, $chunk:ty, $fwd:ident, $bwd:ident) => {
        impl $crate::forecast::fused::Cell for $cell {
            const NAME: &'static str = $name;
            const GATES: usize = $gates;
            const EXTRA: usize = $extra;
            type Chunk = $chunk;

            fn forward(
                x: &[f32],
                n: usize,
                d: $crate::forecast::fused::Dims,
                w: &ndarray::ArrayView2<'_, f32>,
                out: &mut [f32],
                last_only: bool,
            ) -> candle_core::Result<$chunk> {
                $crate::dispatched!(fn run => $fwd(
                    x: &[f32], n: usize, d: $crate::forecast::fused::Dims,
                    w: &ndarray::ArrayView2<'_, f32>, out: &mut [f32], last_only: bool
                ) -> candle_core::Result<$chunk>);
                run(x, n, d, w, out, last_only)
            }

            fn rows(chunk: &$chunk) -> usize {
                chunk.rows
            }

            fn backward(
                chunk: &$chunk,
                d: $crate::forecast::fused::Dims,
                grad: &[f32],
                w: &ndarray::ArrayView2<'_, f32>,
                last_only: bool,
                d_x: Option<&mut [f32]>,
            ) -> candle_core::Result<ndarray::Array2<f32>> {
                $crate::dispatched!(fn run => $bwd(
                    chunk: &$chunk, d: $crate::forecast::fused::Dims, grad: &[f32],
                    w: &ndarray::ArrayView2<'_, f32>, last_only: bool, d_x: Option<&mut [f32]>
                ) -> candle_core::Result<ndarray::Array2<f32>>);
                run(chunk, d, grad, w, last_only, d_x)
            }
        }
    };
}

struct Cache<K> {
    dims: Dims,
    /// Rows per chunk (the last may have fewer).
    per: usize,
    chunks: Vec<K>,
}

/// The op; a new one per forward call (it holds that call's cache).
pub struct Fused<C: Cell> {
    /// Output only the last step's hidden state.
    last_only: bool,
    cache: Mutex<Option<Cache<C::Chunk>>>,
    cell: PhantomData<C>,
}

impl<C: Cell> Fused<C> {
    /// Runs the layer on `x` `[B, L, I+1]` with weights `w`: the last hidden state `[B, H]`
    /// if `last_only`, else all `[B, L, H]`.
    pub fn apply(x: &Tensor, w: &Tensor, last_only: bool) -> candle_core::Result<Tensor> {
        x.contiguous()?.apply_op2(
            &w.contiguous()?,
            Fused::<C> {
                last_only,
                cache: Mutex::new(None),
                cell: PhantomData,
            },
        )
    }

    fn cols(i1: usize, h: usize) -> usize {
        i1 + h + C::EXTRA
    }
}

impl<C: Cell> CustomOp2 for Fused<C> {
    fn name(&self) -> &'static str {
        C::NAME
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (b, l, i1) = l1.shape().dims3()?;
        let (g, cols) = l2.shape().dims2()?;
        let h = g / C::GATES;
        if g != C::GATES * h || cols != Self::cols(i1, h) || l == 0 {
            candle_core::bail!(
                "{}: x [B, {l}, {i1}] does not match w [{g}, {cols}]",
                C::NAME
            );
        }
        let d = Dims { l, i1, h };
        let x = contiguous(s1, l1, "x")?;
        let w = ArrayView2::from_shape((g, cols), contiguous(s2, l2, "w")?).map_err(wrap)?;
        // One chunk per thread, at least 8 rows each.
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
                C::forward(x, n, d, &w, out, self.last_only)
            })
            .collect::<candle_core::Result<Vec<C::Chunk>>>()?;
        *self.cache.lock().expect("recurrent cache lock") = Some(Cache {
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
        let guard = self.cache.lock().expect("recurrent cache lock");
        let Some(cache) = guard.as_ref() else {
            candle_core::bail!("{}: backward before forward", C::NAME);
        };
        let (d, per) = (cache.dims, cache.per);
        let Dims { l, i1, h } = d;
        let (g, cols) = (C::GATES * h, Self::cols(i1, h));
        let b: usize = cache.chunks.iter().map(C::rows).sum();
        let grad = grad_res.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let w = w.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let w = ArrayView2::from_shape((g, cols), &w[..]).map_err(wrap)?;
        let out_row = if self.last_only { h } else { l * h };
        // The inputs' gradient only when something upstream needs it (a lower layer).
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
                let n = C::rows(chunk);
                let grad = &grad[k * per * out_row..][..n * out_row];
                C::backward(chunk, d, grad, &w, self.last_only, d_x.take())
            })
            .collect::<candle_core::Result<Vec<Array2<f32>>>>()?;
        let mut d_w = Array2::<f32>::zeros((g, cols));
        for share in &shares {
            d_w += share;
        }
        let dev = grad_res.device();
        let d_w = Tensor::from_vec(d_w.into_raw_vec_and_offset().0, (g, cols), dev)?;
        let d_x = d_x
            .map(|v| Tensor::from_vec(v, (b, l, i1), dev))
            .transpose()?;
        Ok((d_x, Some(d_w)))
    }
}

/// Checks both layers share: the op against candle's autograd of an op-by-op `reference`,
/// and the AVX2 and baseline code paths against each other.
#[cfg(test)]
pub(crate) mod checks {
    use super::*;
    use candle_core::{Device, Var};

    fn max_rel(a: &Tensor, e: &Tensor) -> f32 {
        let a = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let e = e.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(a.len(), e.len());
        a.iter()
            .zip(&e)
            .map(|(x, y)| (x - y).abs() / (1.0 + y.abs()))
            .fold(0.0, f32::max)
    }

    /// Forward values (1e-6) and the gradients of x and w (1e-5) of the op equal those of
    /// `reference` under candle's autograd; 20 rows make two chunks with two threads.
    pub fn against_autograd<C: Cell>(
        reference: impl Fn(&Tensor, &Tensor, bool) -> candle_core::Result<Tensor>,
    ) -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let (b, l, i1, h) = (20, 7, 4, 5);
        for last_only in [true, false] {
            let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (b, l, i1), &dev)?)?;
            let w = Var::from_tensor(&Tensor::randn(
                0f32,
                0.5,
                (C::GATES * h, i1 + h + C::EXTRA),
                &dev,
            )?)?;
            let ours = Fused::<C>::apply(x.as_tensor(), w.as_tensor(), last_only)?;
            let theirs = reference(x.as_tensor(), w.as_tensor(), last_only)?;
            assert!(max_rel(&ours, &theirs) < 1e-6);
            // A loss touching every output with different weights.
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

    /// The cell's `forward`/`backward` (dispatched, AVX2 where the CPU has it) and
    /// `generic_*` (baseline target) give the same bits.
    pub fn paths_agree<C: Cell>(
        generic_forward: impl Fn(
            &[f32],
            usize,
            Dims,
            &ArrayView2<'_, f32>,
            &mut [f32],
            bool,
        ) -> candle_core::Result<C::Chunk>,
        generic_backward: impl Fn(
            &C::Chunk,
            Dims,
            &[f32],
            &ArrayView2<'_, f32>,
            bool,
            Option<&mut [f32]>,
        ) -> candle_core::Result<Array2<f32>>,
    ) -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let (n, l, i1, h) = (9, 6, 2, 7);
        let x = Tensor::randn(0f32, 1.0, (n, l, i1), &dev)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let cols = i1 + h + C::EXTRA;
        let w = Tensor::randn(0f32, 0.5, (C::GATES * h, cols), &dev)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let w = ArrayView2::from_shape((C::GATES * h, cols), &w[..]).map_err(wrap)?;
        let d = Dims { l, i1, h };
        let grad = vec![0.3f32; n * l * h];
        let run = |generic: bool| -> candle_core::Result<_> {
            let mut out = vec![0f32; n * l * h];
            let mut d_x = vec![0f32; n * l * i1];
            let chunk = if generic {
                generic_forward(&x, n, d, &w, &mut out, false)?
            } else {
                C::forward(&x, n, d, &w, &mut out, false)?
            };
            let d_w = if generic {
                generic_backward(&chunk, d, &grad, &w, false, Some(&mut d_x))?
            } else {
                C::backward(&chunk, d, &grad, &w, false, Some(&mut d_x))?
            };
            Ok((out, d_x, d_w.into_raw_vec_and_offset().0))
        };
        assert!(run(true)? == run(false)?);
        Ok(())
    }
}
