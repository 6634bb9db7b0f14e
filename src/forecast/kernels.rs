//! What the fused recurrent layers ([`super::lstm_op`], [`super::gru_op`]) share: fast
//! vectorisable exp / σ / tanh, recycled scratch buffers, the batch-major ↔ time-major
//! transpose, and the AVX2 dispatch of their inner loops.

use std::sync::Mutex;

use candle_core::{CpuStorage, Layout};

pub(crate) fn wrap(e: ndarray::ShapeError) -> candle_core::Error {
    candle_core::Error::wrap(e)
}

/// `exp` by range reduction and a degree-6 polynomial (Cephes' `expf`), written without
/// library calls so that loops over slices vectorise (glibc's `expf`/`tanhf` are scalar
/// calls and were a third of the training time). Relative error ≈ 2e-7 over the clamped
/// range; inputs beyond it saturate, which σ and tanh cannot tell from exact.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const ROUND: f32 = 12_582_912.0; // 1.5·2²³: adding it rounds to an integer
    let x = x.clamp(-87.0, 88.0);
    let k = (x * LOG2E + ROUND) - ROUND;
    let r = x - k * LN2_HI - k * LN2_LO;
    let p = ((((1.987_569_1e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let e = p * r * r + r + 1.0;
    e * f32::from_bits(((k as i32 + 127) << 23) as u32)
}

#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// tanh through one `exp`: absolute error below 1e-7.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let e = exp(-2.0 * x.clamp(-15.0, 15.0));
    (1.0 - e) / (1.0 + e)
}

/// Scratch buffers recycled across calls (a batch's caches are a few MB: allocating them
/// afresh each time cost page faults and zeroing).
static POOL: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

pub(crate) fn recycle(v: Vec<f32>) {
    if let Ok(mut pool) = POOL.lock() {
        if pool.len() < 64 {
            pool.push(v);
        }
    }
}

/// A buffer of `len` values, contents unspecified (every caller overwrites all of them).
pub(crate) fn buffer(len: usize) -> Vec<f32> {
    let mut v = POOL
        .lock()
        .map(|mut p| p.pop())
        .ok()
        .flatten()
        .unwrap_or_default();
    v.resize(len, 0.0);
    v
}

/// `src` `[a, b, c]` → `dst` `[b, a, c]`: batch-major `[n, L, c]` to time-major `[L, n, c]`,
/// or back.
pub(crate) fn transpose_steps(src: &[f32], a: usize, b: usize, c: usize, dst: &mut [f32]) {
    for i in 0..a {
        for j in 0..b {
            dst[(j * a + i) * c..(j * a + i + 1) * c]
                .copy_from_slice(&src[(i * b + j) * c..(i * b + j + 1) * c]);
        }
    }
}

/// The code path of the fused recurrent kernels: the widest the CPU has, unless
/// `NTP_SIMD=avx2|baseline` asks for a narrower one (to measure or compare the paths).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    Baseline,
    Avx2,
    Avx512,
}

/// The path the kernels take on this CPU (read once).
pub fn simd() -> Simd {
    static CHOSEN: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let cpu = detect_simd();
        match std::env::var("NTP_SIMD").as_deref() {
            Ok("baseline") => Simd::Baseline,
            Ok("avx2") => cpu.min(Simd::Avx2),
            _ => cpu,
        }
    })
}

fn detect_simd() -> Simd {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        if avx2 && is_x86_feature_detected!("avx512f") {
            return Simd::Avx512;
        }
        if avx2 {
            return Simd::Avx2;
        }
    }
    Simd::Baseline
}

/// Defines `$name` to run `$generic` compiled for AVX-512F or AVX2 + FMA when the CPU has
/// them (the element-wise loops then vectorise 16 or 8 wide), else for the baseline target
/// ([`simd`]). Same arithmetic either way: no fused multiply-adds are introduced, so
/// results do not depend on the path.
#[doc(hidden)]
#[macro_export]
macro_rules! dispatched {
    ($(#[$doc:meta])* fn $name:ident => $generic:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                use $crate::forecast::kernels::{simd, Simd};
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512($($arg: $ty),*) -> $ret {
                    $generic($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) -> $ret {
                    $generic($($arg),*)
                }
                match simd() {
                    // SAFETY: `simd` chose a path whose features the CPU has.
                    Simd::Avx512 => return unsafe { avx512($($arg),*) },
                    Simd::Avx2 => return unsafe { avx2($($arg),*) },
                    Simd::Baseline => {}
                }
            }
            $generic($($arg),*)
        }
    };
}

/// Contiguous f32 data of a storage with its layout.
pub(crate) fn contiguous<'a>(
    s: &'a CpuStorage,
    l: &Layout,
    what: &str,
) -> candle_core::Result<&'a [f32]> {
    let data = s.as_slice::<f32>()?;
    match l.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("recurrent layer: {what} must be contiguous"),
    }
}
