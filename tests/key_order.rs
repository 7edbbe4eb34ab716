//! Objects keep the insertion order of their keys at every size, as AWS's
//! (Jackson's) do: simd-json's map switched to a hash map past 32 keys and
//! printed larger objects in hash order; the vendored halfbrown
//! (vendor/halfbrown/VENDORED.md) keeps them in an `IndexMap`.
//!
//! Every case uses 40 or 100 keys in an order that is neither sorted nor
//! reverse-sorted, and compares the printed output byte for byte.

mod common;

use std::process::{Command, Stdio};

use common::run;
use expressway::json::{Object, Value};

/// `n` key names in a scrambled order: `k{i*37 mod n}` (37 is prime to 40
/// and to 100), so neither sorted nor hash-ordered.
fn keys(n: usize, prefix: &str) -> Vec<String> {
    (0..n)
        .map(|i| format!("{prefix}{}", (i * 37 + 11) % n))
        .collect()
}

/// `{"k11":0,"k48":1,...}`: compact, as our serialiser prints it.
fn object(keys: &[String]) -> String {
    let fields: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("\"{k}\":{i}"))
        .collect();
    format!("{{{}}}", fields.join(","))
}

fn pass(fields: &str) -> String {
    format!(r#"{{"StartAt":"P","States":{{"P":{{"Type":"Pass",{fields}"End":true}}}}}}"#)
}

#[tokio::test]
async fn execution_input_comes_back_in_its_order() {
    for n in [33, 40, 100] {
        let input = object(&keys(n, "k"));
        assert_eq!(run(&pass(""), &input).await, input, "{n} keys");
    }
}

/// A nested object past 32 keys, through InputPath and ResultPath (which
/// merges into the state's raw input), and a key added to a large object.
#[tokio::test]
async fn nested_objects_and_result_path_keep_their_order() {
    let inner = object(&keys(40, "k"));
    let input = format!(r#"{{"z":1,"inner":{inner},"a":2}}"#);
    let got = run(
        &pass(r#""InputPath":"$.inner","ResultPath":"$.extra","#),
        &input,
    )
    .await;
    assert_eq!(
        got,
        format!(r#"{{"z":1,"inner":{inner},"a":2,"extra":{inner}}}"#)
    );
    // ResultPath into a 40-key object appends the new key last.
    let got = run(&pass(r#""Result":"r","ResultPath":"$.new","#), &inner).await;
    let mut want = inner.clone();
    want.pop();
    assert_eq!(got, format!(r#"{want},"new":"r"}}"#));
}

/// A Payload Template's keys come out in the order the definition writes
/// them (the `.$` fields included), in Parameters and in ResultSelector.
#[tokio::test]
async fn payload_templates_and_result_selector_keep_the_written_order() {
    let names = keys(40, "p");
    let template: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, k)| {
            if i % 3 == 0 {
                format!(r#""{k}.$":"$.v""#)
            } else {
                format!(r#""{k}":{i}"#)
            }
        })
        .collect();
    let template = format!("{{{}}}", template.join(","));
    let want: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, k)| {
            if i % 3 == 0 {
                format!(r#""{k}":7"#)
            } else {
                format!(r#""{k}":{i}"#)
            }
        })
        .collect();
    let want = format!("{{{}}}", want.join(","));
    let got = run(&pass(&format!(r#""Parameters":{template},"#)), r#"{"v":7}"#).await;
    assert_eq!(got, want, "Parameters");

    let parallel = format!(
        r#"{{"StartAt":"Par","States":{{"Par":{{"Type":"Parallel","Branches":[
            {{"StartAt":"B","States":{{"B":{{"Type":"Pass","Result":7,"End":true}}}}}}],
            "ResultSelector":{},"End":true}}}}}}"#,
        template.replace("$.v", "$[0]")
    );
    assert_eq!(run(&parallel, "{}").await, want, "ResultSelector");
}

/// `States.JsonMerge` and `States.StringToJson` keep the order of their
/// inputs (the first object's keys, then the second's new ones).
#[tokio::test]
async fn intrinsic_functions_keep_the_order() {
    let first = keys(25, "a");
    let second = keys(25, "b");
    let input = format!(r#"{{"x":{},"y":{}}}"#, object(&first), object(&second));
    let got = run(
        &pass(r#""Parameters":{"m.$":"States.JsonMerge($.x, $.y, false)"},"#),
        &input,
    )
    .await;
    let mut merged = object(&first);
    merged.pop();
    let second_fields = &object(&second)[1..];
    assert_eq!(got, format!(r#"{{"m":{merged},{second_fields}}}"#));

    let text = object(&keys(100, "s"));
    let input = serde_json::json!({ "t": text }).to_string();
    let got = run(
        &pass(r#""Parameters":{"o.$":"States.StringToJson($.t)"},"#),
        &input,
    )
    .await;
    assert_eq!(got, format!(r#"{{"o":{text}}}"#));
}

/// JSONata: an input object passes through an expression in its order, and
/// an object the expression builds keeps the order it is written in.
#[tokio::test]
async fn jsonata_results_keep_the_order() {
    let input = object(&keys(100, "k"));
    let jsonata = |output: &str| {
        format!(
            r#"{{"QueryLanguage":"JSONata","StartAt":"P","States":{{"P":{{"Type":"Pass","Output":{output},"End":true}}}}}}"#
        )
    };
    let got = run(&jsonata(r#""{% $states.input %}""#), &input).await;
    assert_eq!(got, input, "$states.input");

    let got = run(
        &jsonata(r#""{% $merge([$states.input, {'zz': 1}]) %}""#),
        &input,
    )
    .await;
    let mut want = input.clone();
    want.pop();
    assert_eq!(got, format!(r#"{want},"zz":1}}"#), "$merge");

    // An Output template of 40 keys, with expressions among literals.
    let names = keys(40, "t");
    let fields: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, k)| format!(r#""{k}":"{{% {i} + 1 %}}""#))
        .collect();
    let got = run(&jsonata(&format!("{{{}}}", fields.join(","))), "{}").await;
    let want: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, k)| format!(r#""{k}":{}"#, i + 1))
        .collect();
    assert_eq!(got, format!("{{{}}}", want.join(",")), "Output template");
}

/// Removing a key keeps the order of the others, small or large (the stock
/// map moved its last key into the hole).
#[test]
fn removing_a_key_keeps_the_order_of_the_others() {
    for n in [5, 40] {
        let names = keys(n, "k");
        let mut o = Object::with_capacity(n);
        for (i, k) in names.iter().enumerate() {
            o.insert(k.clone(), Value::from(i as u64));
        }
        o.remove(names[1].as_str());
        let got: Vec<&str> = o.keys().map(String::as_str).collect();
        let mut want: Vec<&str> = names.iter().map(String::as_str).collect();
        want.remove(1);
        assert_eq!(got, want, "{n} keys");
    }
}

/// `expressway run` prints the output of a 100-key execution in its order.
#[test]
fn the_run_command_prints_the_order() {
    let dir = std::env::temp_dir().join(format!("expressway-key-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let definition = dir.join("pass.asl.json");
    std::fs::write(&definition, pass("")).expect("definition");
    let input = object(&keys(100, "k"));
    let input_file = dir.join("input.json");
    std::fs::write(&input_file, &input).expect("input");
    let out = Command::new(env!("CARGO_BIN_EXE_expressway"))
        .arg("run")
        .arg(&definition)
        .arg("--input")
        .arg(&input_file)
        .env_remove("SFN_MOCK_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(r#""output":{input},"#)),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
