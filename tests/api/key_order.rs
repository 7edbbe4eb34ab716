//! StartSyncExecution answers an output object of more than 32 keys in the
//! order the input wrote them, as AWS does (vendor/halfbrown/VENDORED.md). The
//! machine is the harness's one Pass state, so the output is the input.

use serde_json::json;

use crate::harness::Harness;

/// `n` keys in a scrambled order (`k{(i*37+11) mod n}`), compact.
fn object(n: usize) -> String {
    let fields: Vec<String> = (0..n)
        .map(|i| format!("\"k{}\":{i}", (i * 37 + 11) % n))
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[tokio::test]
async fn start_sync_execution_keeps_the_key_order() {
    let h = Harness::start().await;
    let arn = h.create("order", "EXPRESS").await;
    for n in [40, 100] {
        let input = object(n);
        let reply = h
            .ok(
                "StartSyncExecution",
                json!({"stateMachineArn": arn, "input": input}),
            )
            .await;
        assert_eq!(reply["status"], "SUCCEEDED", "{reply}");
        assert_eq!(reply["output"].as_str(), Some(input.as_str()), "{n} keys");
    }
}
