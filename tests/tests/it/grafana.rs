//! The provisioned Grafana dashboard (`grafana/`): it parses, every panel uses the provisioned
//! data source, and every metric it queries is one careaudit defines (so a renamed metric
//! cannot leave an operator's panel silently empty).

use std::path::Path;

fn repository(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
}

/// Every `careaudit_...` metric name in a PromQL expression.
fn metric_names(expression: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expression;
    while let Some(start) = rest.find("careaudit_") {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

#[test]
fn the_grafana_dashboard_queries_only_metrics_careaudit_defines() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&repository("grafana/dashboards/careaudit.json"))
            .expect("the dashboard is JSON");
    let datasources = repository("grafana/provisioning/datasources/prometheus.yaml");
    let provider = repository("grafana/provisioning/dashboards/careaudit.yaml");
    assert!(
        provider.contains("type: file")
            && provider.contains("/var/lib/grafana/dashboards/careaudit")
    );
    let defined = [
        repository("collector/src/internal_events.rs"),
        repository("dashboards/src/telemetry.rs"),
    ]
    .join("\n");
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 8, "collector and dashboards panels");
    let mut missing = Vec::new();
    let mut queried = 0;
    for panel in panels {
        let uid = panel["datasource"]["uid"].as_str().expect("a data source");
        assert!(
            datasources.contains(&format!("uid: {uid}")),
            "panel {} uses an unprovisioned data source",
            panel["title"]
        );
        for target in panel["targets"].as_array().expect("targets") {
            let expression = target["expr"].as_str().expect("expr");
            for name in metric_names(expression) {
                queried += 1;
                if !defined.contains(&format!("\"{name}\"")) {
                    missing.push(format!("{}: {name}", panel["title"]));
                }
            }
        }
    }
    assert!(queried >= 15);
    assert!(
        missing.is_empty(),
        "metrics queried but never defined:\n{}",
        missing.join("\n")
    );
}
