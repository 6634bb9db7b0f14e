//! A fully connected layer (`y = x·Wᵀ + b`) with PyTorch's names and initialisation, the
//! building block of [`super::dlinear`] and [`super::nhits`].

use candle_core::{DType, Device, Tensor, Var};
use rand::rngs::StdRng;
use rand::Rng;

/// Weight `[outputs, inputs]` and bias `[outputs]`.
pub struct Linear {
    pub weight: Var,
    pub bias: Var,
}

impl Linear {
    /// PyTorch's default: weight and bias uniform in ±1/√inputs.
    pub fn new(rng: &mut StdRng, inputs: usize, outputs: usize) -> candle_core::Result<Linear> {
        let limit = 1.0 / (inputs.max(1) as f64).sqrt();
        let mut draw = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| rng.random_range(-limit..limit) as f32)
                .collect()
        };
        let w = draw(inputs * outputs);
        let b = draw(outputs);
        Ok(Linear {
            weight: Var::from_tensor(&Tensor::from_vec(w, (outputs, inputs), &Device::Cpu)?)?,
            bias: Var::from_tensor(&Tensor::from_vec(b, outputs, &Device::Cpu)?)?,
        })
    }

    /// The layer from saved tensors (shapes checked by the caller).
    pub fn from_tensors(weight: &Tensor, bias: &Tensor) -> candle_core::Result<Linear> {
        Ok(Linear {
            weight: Var::from_tensor(&weight.to_dtype(DType::F32)?)?,
            bias: Var::from_tensor(&bias.to_dtype(DType::F32)?)?,
        })
    }

    /// `x` `[B, inputs]` → `[B, outputs]`.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(&self.weight.as_tensor().t()?)?
            .broadcast_add(self.bias.as_tensor())
    }

    pub fn vars(&self) -> [Var; 2] {
        [self.weight.clone(), self.bias.clone()]
    }

    /// `{prefix}.weight`, `{prefix}.bias`.
    pub fn named(&self, prefix: &str) -> Vec<(String, Tensor)> {
        vec![
            (format!("{prefix}.weight"), self.weight.as_tensor().clone()),
            (format!("{prefix}.bias"), self.bias.as_tensor().clone()),
        ]
    }
}
