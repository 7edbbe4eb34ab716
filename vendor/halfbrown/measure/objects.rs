//! Micro-measure of simd-json objects, run by callgrind.sh: parse, build by
//! insert, look up every key, serialise; `size` prints the map's size in bytes.
use simd_json::prelude::*;
use simd_json::OwnedValue as Value;
use std::hint::black_box;

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("field{}", (i * 37 + 11) % n)).collect()
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args().nth(2).map_or(40, |s| s.parse().unwrap());
    let iters: usize = std::env::args().nth(3).map_or(10_000, |s| s.parse().unwrap());
    let names = keys(n);
    let text = format!(
        "{{{}}}",
        names.iter().enumerate().map(|(i, k)| format!("\"{k}\":{i}")).collect::<Vec<_>>().join(",")
    );
    if mode == "size" { println!("{}", std::mem::size_of::<simd_json::owned::Object>()); return; }
    let mut sum = 0u64;
    if mode == "lookup" {
        let mut b = text.clone().into_bytes();
        let v: Value = simd_json::to_owned_value(&mut b).unwrap();
        let o = v.as_object().unwrap();
        for _ in 0..iters {
            for k in &names {
                sum += o.get(black_box(k.as_str())).and_then(|v| v.as_u64()).unwrap();
            }
        }
        println!("{sum}");
        return;
    }
    for _ in 0..iters {
        match mode.as_str() {
            "parse" => {
                let mut b = text.clone().into_bytes();
                let v: Value = simd_json::to_owned_value(&mut b).unwrap();
                sum += v.as_object().unwrap().len() as u64;
            }
            "insert" => {
                let mut o = simd_json::owned::Object::with_capacity(0);
                for (i, k) in names.iter().enumerate() {
                    o.insert(k.clone(), Value::from(i as u64));
                }
                sum += black_box(&o).len() as u64;
            }
            "serialise" => {
                let mut b = text.clone().into_bytes();
                let v: Value = simd_json::to_owned_value(&mut b).unwrap();
                sum += simd_json::to_string(&v).unwrap().len() as u64;
            }
            _ => panic!("mode"),
        }
    }
    println!("{sum}");
}
