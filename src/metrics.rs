//! Counters for operators, kept with prometheus-client and served when
//! `[metrics] listen` is set: `GET /metrics` (OpenMetrics text, which
//! Prometheus reads) with answers by platform and outcome, match latency,
//! reloads by result, cooldown hits and whether each platform is connected;
//! `GET /ready` says, as JSON with 200 or 503, whether every configured
//! platform is connected. Recording is an atomic add; the endpoint is hyper
//! on a small tokio runtime of its own, so it serves the console chat and
//! the platforms alike and never waits on them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::platform::Platform;
use crate::records::Outcome;

/// Upper bounds of the latency buckets, in seconds: matching takes
/// microseconds at the shipped size and ~0.2 ms at 100,000 entries by words,
/// ~10 ms with the model.
const BUCKETS: [f64; 10] = [0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.01, 0.1];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AnswerLabels {
    platform: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PlatformLabel {
    platform: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

pub struct Metrics {
    registry: Registry,
    answers: Family<AnswerLabels, Counter>,
    latency: Histogram,
    reloads: Family<ResultLabel, Counter>,
    cooldowns: Family<PlatformLabel, Counter>,
    connected: Family<PlatformLabel, Gauge>,
    knowledge: Family<VersionLabel, Gauge>,
    /// The knowledge version in use, for `/ready`.
    version: Mutex<Option<String>>,
    /// The platforms this process runs, and whether each is connected now.
    platforms: Mutex<BTreeMap<Platform, bool>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let answers = Family::<AnswerLabels, Counter>::default();
        registry.register("policybot_answers", "Questions handled, by platform and outcome", answers.clone());
        let latency = Histogram::new(BUCKETS);
        registry.register("policybot_match_seconds", "Time to match a question and build the reply", latency.clone());
        let reloads = Family::<ResultLabel, Counter>::default();
        registry.register("policybot_reloads", "Knowledge reloads, by result", reloads.clone());
        let cooldowns = Family::<PlatformLabel, Counter>::default();
        registry.register("policybot_cooldown_hits", "Questions held back by the per-user cooldown", cooldowns.clone());
        let connected = Family::<PlatformLabel, Gauge>::default();
        registry.register(
            "policybot_platform_connected",
            "1 while the platform is connected, 0 while it connects or retries",
            connected.clone(),
        );
        let knowledge = Family::<VersionLabel, Gauge>::default();
        registry.register(
            "policybot_knowledge",
            "1 for the knowledge version in use (its history's short commit id)",
            knowledge.clone(),
        );
        // Both results show from the start, so a rate over them is defined.
        for result in ["ok", "failed"] {
            let _ = reloads.get_or_create(&ResultLabel { result });
        }
        Metrics {
            registry,
            answers,
            latency,
            reloads,
            cooldowns,
            connected,
            knowledge,
            version: Mutex::default(),
            platforms: Mutex::default(),
        }
    }
}

impl Metrics {
    /// One question handled on `platform` with `outcome`; `took` is the
    /// matching time when there was matching (not for a picked suggestion).
    pub fn answered(&self, platform: Platform, outcome: Outcome, took: Option<Duration>) {
        self.answers.get_or_create(&AnswerLabels { platform: platform.as_str(), outcome: outcome.as_str() }).inc();
        if let Some(took) = took {
            self.latency.observe(took.as_secs_f64());
        }
    }

    pub fn reloaded(&self, ok: bool) {
        self.reloads.get_or_create(&ResultLabel { result: if ok { "ok" } else { "failed" } }).inc();
    }

    /// The knowledge version now in use: the one info series at 1.
    pub fn set_version(&self, version: Option<&str>) {
        let mut current = self.version.lock().unwrap_or_else(|e| e.into_inner());
        self.knowledge.clear();
        if let Some(version) = version {
            self.knowledge.get_or_create(&VersionLabel { version: version.to_owned() }).set(1);
        }
        *current = version.map(str::to_owned);
    }

    pub fn version(&self) -> Option<String> {
        self.version.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn cooldown_hit(&self, platform: Platform) {
        self.cooldowns.get_or_create(&PlatformLabel { platform: platform.as_str() }).inc();
    }

    /// A platform this process runs: not ready until it says it is
    /// connected.
    pub fn platform_started(&self, platform: Platform) {
        self.set_connected(platform, false);
    }

    /// Whether `platform` is connected now (logged in and receiving).
    pub fn set_connected(&self, platform: Platform, connected: bool) {
        self.connected.get_or_create(&PlatformLabel { platform: platform.as_str() }).set(i64::from(connected));
        self.platforms.lock().unwrap_or_else(|e| e.into_inner()).insert(platform, connected);
    }

    /// Every configured platform is connected (true with none: the console).
    /// With each platform's state.
    pub fn readiness(&self) -> (bool, BTreeMap<Platform, bool>) {
        let platforms = self.platforms.lock().unwrap_or_else(|e| e.into_inner()).clone();
        (platforms.values().all(|c| *c), platforms)
    }

    /// Everything in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Serves `/metrics` and `/ready` on `addr` until the process ends, from a
/// thread with its own single-threaded tokio runtime. Returns the bound
/// address (useful with port 0).
pub fn serve(metrics: Arc<Metrics>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build()?;
    std::thread::Builder::new().name("metrics".into()).spawn(move || {
        runtime.block_on(async move {
            let listener = match tokio::net::TcpListener::from_std(listener) {
                Ok(l) => l,
                Err(e) => return tracing::error!(error = %e, "cannot serve metrics"),
            };
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let metrics = metrics.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let metrics = metrics.clone();
                        async move { Ok::<_, std::convert::Infallible>(respond(&metrics, &req)) }
                    });
                    // A client that opens a connection and sends nothing
                    // is dropped after 5 s.
                    let conn = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(5))
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "metrics connection ended with an error");
                    }
                });
            }
        });
    })?;
    tracing::info!(addr = %bound, "serving Prometheus metrics at /metrics and readiness at /ready");
    Ok(bound)
}

type Response = hyper::Response<http_body_util::Full<hyper::body::Bytes>>;

fn respond<B>(metrics: &Metrics, req: &hyper::Request<B>) -> Response {
    let reply = |status: u16, content_type: &str, body: String| {
        hyper::Response::builder()
            .status(status)
            .header("content-type", content_type)
            .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
            .unwrap_or_default()
    };
    if req.method() != hyper::Method::GET {
        return reply(405, "text/plain", "only GET is served here\n".to_owned());
    }
    match req.uri().path() {
        "/metrics" => reply(200, "application/openmetrics-text; version=1.0.0; charset=utf-8", metrics.render()),
        "/ready" => {
            let (ready, platforms) = metrics.readiness();
            let body =
                serde_json::json!({"ready": ready, "platforms": platforms, "knowledge_version": metrics.version()})
                    .to_string()
                    + "\n";
            reply(if ready { 200 } else { 503 }, "application/json", body)
        }
        _ => reply(404, "text/plain", "GET /metrics or /ready\n".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.answered(Platform::Discord, Outcome::Answer, Some(Duration::from_micros(30)));
        m.answered(Platform::Discord, Outcome::Answer, Some(Duration::from_millis(50)));
        m.answered(Platform::Matrix, Outcome::None, Some(Duration::from_micros(5)));
        m.answered(Platform::Matrix, Outcome::Picked, None);
        m.reloaded(true);
        m.reloaded(false);
        m.cooldown_hit(Platform::Discord);
        let text = m.render();
        for line in [
            "policybot_answers_total{platform=\"discord\",outcome=\"answer\"} 2",
            "policybot_answers_total{platform=\"matrix\",outcome=\"picked\"} 1",
            "policybot_match_seconds_bucket{le=\"0.00001\"} 1",
            "policybot_match_seconds_bucket{le=\"0.00005\"} 2",
            "policybot_match_seconds_bucket{le=\"+Inf\"} 3",
            "policybot_match_seconds_count 3",
            "policybot_reloads_total{result=\"ok\"} 1",
            "policybot_reloads_total{result=\"failed\"} 1",
            "policybot_cooldown_hits_total{platform=\"discord\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn the_knowledge_version_is_one_series_at_one() {
        let m = Metrics::default();
        m.set_version(Some("1a2b3c4"));
        m.set_version(Some("5d6e7f8"));
        let text = m.render();
        let series: Vec<&str> = text.lines().filter(|l| l.starts_with("policybot_knowledge{")).collect();
        assert_eq!(series, ["policybot_knowledge{version=\"5d6e7f8\"} 1"], "{text}");
        assert_eq!(m.version().as_deref(), Some("5d6e7f8"));
    }

    #[test]
    fn ready_only_when_every_platform_is_connected() {
        let m = Metrics::default();
        assert!(m.readiness().0, "no platforms (the console) is ready");
        m.platform_started(Platform::Discord);
        m.platform_started(Platform::Matrix);
        m.set_connected(Platform::Discord, true);
        assert!(!m.readiness().0);
        m.set_connected(Platform::Matrix, true);
        assert!(m.readiness().0);
        assert!(m.render().contains("policybot_platform_connected{platform=\"matrix\"} 1"));
    }
}
