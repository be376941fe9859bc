//! Counters for operators, served in Prometheus' text format when
//! `[metrics] listen` is set: answers by platform and outcome, match latency,
//! reloads by result, cooldown hits. Recording is a few atomic adds or a
//! short lock; the endpoint is a plain HTTP/1.1 responder on its own thread.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds: matching takes
/// microseconds at the shipped size and ~0.2 ms at 100,000 entries.
const BUCKETS: [f64; 10] = [0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.01, 0.1];

#[derive(Default)]
pub struct Metrics {
    answers: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    cooldowns: Mutex<BTreeMap<&'static str, u64>>,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_ns: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
}

impl Metrics {
    /// One question handled on `platform` with `outcome`; `took` is the
    /// matching time when there was matching (not for a picked suggestion).
    pub fn answered(&self, platform: &'static str, outcome: &'static str, took: Option<Duration>) {
        *self.answers.lock().unwrap_or_else(|e| e.into_inner()).entry((platform, outcome)).or_insert(0) += 1;
        let Some(took) = took else { return };
        let secs = took.as_secs_f64();
        for (bucket, bound) in self.latency_buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_ns.fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
    }

    pub fn reloaded(&self, ok: bool) {
        if ok { &self.reloads_ok } else { &self.reloads_failed }.fetch_add(1, Ordering::Relaxed);
    }

    pub fn cooldown_hit(&self, platform: &'static str) {
        *self.cooldowns.lock().unwrap_or_else(|e| e.into_inner()).entry(platform).or_insert(0) += 1;
    }

    /// Everything in Prometheus' text exposition format (0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP policybot_answers_total Questions handled, by platform and outcome.");
        let _ = writeln!(out, "# TYPE policybot_answers_total counter");
        for ((platform, outcome), n) in self.answers.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "policybot_answers_total{{platform=\"{platform}\",outcome=\"{outcome}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP policybot_match_seconds Time to match a question and build the reply.");
        let _ = writeln!(out, "# TYPE policybot_match_seconds histogram");
        for (bucket, bound) in self.latency_buckets.iter().zip(BUCKETS) {
            let _ =
                writeln!(out, "policybot_match_seconds_bucket{{le=\"{bound}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "policybot_match_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "policybot_match_seconds_sum {sum}");
        let _ = writeln!(out, "policybot_match_seconds_count {count}");
        let _ = writeln!(out, "# HELP policybot_reloads_total Knowledge reloads, by result.");
        let _ = writeln!(out, "# TYPE policybot_reloads_total counter");
        let _ = writeln!(out, "policybot_reloads_total{{result=\"ok\"}} {}", self.reloads_ok.load(Ordering::Relaxed));
        let failed = self.reloads_failed.load(Ordering::Relaxed);
        let _ = writeln!(out, "policybot_reloads_total{{result=\"failed\"}} {failed}");
        let _ = writeln!(out, "# HELP policybot_cooldown_hits_total Questions held back by the per-user cooldown.");
        let _ = writeln!(out, "# TYPE policybot_cooldown_hits_total counter");
        for (platform, n) in self.cooldowns.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "policybot_cooldown_hits_total{{platform=\"{platform}\"}} {n}");
        }
        out
    }
}

/// Serves `GET /metrics` on `addr` from a thread of its own until the
/// process ends. Returns the bound address (useful with port 0).
pub fn serve(metrics: std::sync::Arc<Metrics>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    std::thread::Builder::new().name("metrics".into()).spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Err(e) = respond(&metrics, stream) {
                tracing::debug!(error = %e, "metrics request failed");
            }
        }
    })?;
    tracing::info!(addr = %bound, "serving Prometheus metrics at /metrics");
    Ok(bound)
}

fn respond(metrics: &Metrics, mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    // Only the request line matters; read until the headers end (bounded).
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&request);
    let mut parts = line.split_whitespace();
    let (status, body) = match (parts.next(), parts.next()) {
        (Some("GET"), Some("/metrics")) => ("200 OK", metrics.render()),
        _ => ("404 Not Found", "only GET /metrics is served here\n".to_owned()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.answered("discord", "answer", Some(Duration::from_micros(30)));
        m.answered("discord", "answer", Some(Duration::from_millis(50)));
        m.answered("matrix", "none", Some(Duration::from_micros(5)));
        m.answered("matrix", "picked", None);
        m.reloaded(true);
        m.reloaded(false);
        m.cooldown_hit("discord");
        let text = m.render();
        for line in [
            "policybot_answers_total{platform=\"discord\",outcome=\"answer\"} 2",
            "policybot_answers_total{platform=\"matrix\",outcome=\"none\"} 1",
            "policybot_match_seconds_bucket{le=\"0.00001\"} 1",
            "policybot_match_seconds_bucket{le=\"0.00005\"} 2",
            "policybot_match_seconds_bucket{le=\"0.1\"} 3",
            "policybot_match_seconds_bucket{le=\"+Inf\"} 3",
            "policybot_match_seconds_count 3",
            "policybot_reloads_total{result=\"ok\"} 1",
            "policybot_reloads_total{result=\"failed\"} 1",
            "policybot_cooldown_hits_total{platform=\"discord\"} 1",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn serves_metrics_over_http() {
        let m = std::sync::Arc::new(Metrics::default());
        m.reloaded(true);
        let addr = serve(m, "127.0.0.1:0".parse().unwrap()).unwrap();
        let get = |path: &str| {
            let mut s = TcpStream::connect(addr).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
            let mut text = String::new();
            s.read_to_string(&mut text).unwrap();
            text
        };
        let ok = get("/metrics");
        assert!(ok.starts_with("HTTP/1.1 200") && ok.contains("policybot_reloads_total{result=\"ok\"} 1"), "{ok}");
        assert!(get("/other").starts_with("HTTP/1.1 404"));
    }
}
