//! Loading a saved DLinear or N-HiTS: every tensor the card's shape implies, of that shape,
//! 32-bit and finite, and no other.

use std::collections::HashMap;
use std::path::Path;

use super::dlinear::Dlinear;
use super::linear::Linear;
use super::nhits::Nhits;
use super::spec::{check_values, CellKind, Shape};
use crate::error::{Error, Result};
use candle_core::Tensor;

pub enum Mlp {
    Dlinear(Dlinear),
    Nhits(Nhits),
}

/// The names and shapes a model of `shape` has, in its layers' order (weight, bias):
/// worked out, not allocated, so a card cannot make the check itself claim memory.
fn expected(shape: &Shape) -> Vec<(String, Vec<usize>)> {
    let (l, c, h) = (shape.look_back, shape.inputs, shape.outputs);
    let layers = match shape.cell {
        CellKind::Nhits => Nhits::layer_shapes(l, c, shape.hidden, h),
        _ => ["linear_seasonal", "linear_trend"]
            .map(|n| (n.to_string(), [h, l * c]))
            .to_vec(),
    };
    layers
        .into_iter()
        .flat_map(|(n, [rows, cols])| {
            [
                (format!("{n}.weight"), vec![rows, cols]),
                (format!("{n}.bias"), vec![rows]),
            ]
        })
        .collect()
}

/// The model in `map` (read from `path`), checked against the card's `shape`.
pub fn body(path: &Path, map: &HashMap<String, Tensor>, shape: &Shape) -> Result<Mlp> {
    let bad = |message: String| Error::Dataset {
        path: path.to_owned(),
        message,
    };
    let model = shape.cell.title();
    let expected = expected(shape);
    let mut names: Vec<&String> = map.keys().collect();
    names.sort();
    if let Some(extra) = names.iter().find(|n| !expected.iter().any(|e| &e.0 == **n)) {
        return Err(bad(format!(
            "tensor `{extra}` is not one of the card's {model}: card and weights disagree"
        )));
    }
    let mut tensors = Vec::with_capacity(expected.len());
    for (name, dims) in &expected {
        let t = map
            .get(name)
            .ok_or_else(|| bad(format!("model file has no tensor `{name}`")))?;
        if t.dims() != dims.as_slice() {
            return Err(bad(format!(
                "{name} has shape {:?}, expected {dims:?} for the card's {model} (model card and weights disagree)",
                t.dims()
            )));
        }
        check_values(path, name, t)?;
        tensors.push(t);
    }
    let layers = tensors
        .chunks(2)
        .map(|wb| Linear::from_tensors(wb[0], wb[1]))
        .collect::<candle_core::Result<Vec<_>>>()
        .map_err(|e| bad(e.to_string()))?;
    let (l, c, h) = (shape.look_back, shape.inputs, shape.outputs);
    let built = match shape.cell {
        CellKind::Nhits => Nhits::from_layers(l, c, h, layers).map(Mlp::Nhits),
        _ => {
            let mut it = layers.into_iter();
            let (Some(seasonal), Some(trend)) = (it.next(), it.next()) else {
                return Err(bad("DLinear needs two layers".into()));
            };
            Dlinear::from_layers(l, c, seasonal, trend).map(Mlp::Dlinear)
        }
    };
    built.map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn the_worked_out_shapes_are_the_models_own() {
        let mut rng = StdRng::seed_from_u64(1);
        for cell in [CellKind::Dlinear, CellKind::Nhits] {
            let shape = Shape {
                cell,
                look_back: 7,
                hidden: 5,
                layers: 1,
                inputs: 2,
                outputs: 3,
                dropout: 0.0,
                target: Default::default(),
                norm: Default::default(),
            };
            let named = match cell {
                CellKind::Nhits => Nhits::new(&mut rng, 7, 2, 5, 3).unwrap().named(),
                _ => Dlinear::new(&mut rng, 7, 2, 3).unwrap().named(),
            };
            let own: Vec<(String, Vec<usize>)> = named
                .into_iter()
                .map(|(n, t)| (n, t.dims().to_vec()))
                .collect();
            assert_eq!(expected(&shape), own, "{cell:?}");
        }
    }
}
