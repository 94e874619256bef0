//! A real HTTP receiver for webhooks, as an organisation would run one: it verifies each
//! request's HMAC-SHA256 signature over `<timestamp>.<body>` independently of careaudit's code
//! (refusing bad or stale signatures with 401), deduplicates on the delivery id header, and
//! can answer 503 on demand. Every body it received is scanned for patient data when it is
//! dropped.

use crate::privacy::PrivacyGuard;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::{Arc, Mutex};

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub delivery_id: String,
    pub event: String,
    pub attempt: String,
    pub body: String,
    pub signature_valid: bool,
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    /// Delivery ids processed (first sight of a valid delivery), in order.
    processed: Vec<String>,
    fail_next: u32,
}

#[derive(Clone)]
struct Receiver {
    secret: Vec<u8>,
    log: Arc<Mutex<Log>>,
}

pub struct WebhookReceiver {
    pub url: String,
    log: Arc<Mutex<Log>>,
    guard: PrivacyGuard,
    shutdown: tokio_util::sync::CancellationToken,
}

fn signature_valid(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let mut timestamp = "";
    let mut signature = "";
    for part in header.split(',') {
        if let Some(value) = part.strip_prefix("t=") {
            timestamp = value;
        } else if let Some(value) = part.strip_prefix("v1=") {
            signature = value;
        }
    }
    let Ok(seconds) = timestamp.parse::<i64>() else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - seconds).abs() > 300 {
        return false;
    }
    let Ok(expected) = hex::decode(signature) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let valid = signature_valid(&receiver.secret, &header("x-careaudit-signature"), &body);
    let mut log = receiver.log.lock().expect("log");
    let delivery_id = header("x-careaudit-delivery");
    log.received.push(Received {
        delivery_id: delivery_id.clone(),
        event: header("x-careaudit-event"),
        attempt: header("x-careaudit-attempt"),
        body: String::from_utf8_lossy(&body).into_owned(),
        signature_valid: valid,
    });
    if !valid {
        return StatusCode::UNAUTHORIZED;
    }
    if log.fail_next > 0 {
        log.fail_next -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    if !log.processed.contains(&delivery_id) {
        log.processed.push(delivery_id);
    }
    StatusCode::NO_CONTENT
}

impl WebhookReceiver {
    pub async fn start(secret: &str, guard: PrivacyGuard) -> Self {
        let log = Arc::new(Mutex::new(Log::default()));
        let state = Receiver {
            secret: secret.as_bytes().to_vec(),
            log: log.clone(),
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        let shutdown = tokio_util::sync::CancellationToken::new();
        let stop = shutdown.clone().cancelled_owned();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await;
        });
        Self {
            url,
            log,
            guard,
            shutdown,
        }
    }

    /// Answers the next `count` valid deliveries with 503.
    pub fn fail_next(&self, count: u32) {
        self.lock().fail_next = count;
    }

    /// Every request received, valid or not, in order.
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// The delivery ids processed once each (what a deduplicating receiver acts on).
    pub fn processed(&self) -> Vec<String> {
        self.lock().processed.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let bodies: Vec<String> = self
            .lock()
            .received
            .iter()
            .map(|r| r.body.clone())
            .collect();
        self.guard
            .assert_clean(&format!("webhook receiver at {}", self.url), &bodies);
    }
}
