//! Webhooks: a JSON body POSTed to an organisation's endpoint, signed with HMAC-SHA256 over
//! the timestamp and the exact body (`X-Careaudit-Signature: t=<unix seconds>,v1=<hex>`, the
//! signed string being `<t>.<body>`), with the delivery id in `X-Careaudit-Delivery` so the
//! receiver can deduplicate a redelivery, and the attempt number in `X-Careaudit-Attempt`.
//! Receivers should refuse a timestamp older than a few minutes (replay protection) and
//! compare signatures in constant time, as [`verify_signature`] does.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const SIGNATURE_HEADER: &str = "x-careaudit-signature";
pub const DELIVERY_HEADER: &str = "x-careaudit-delivery";
pub const EVENT_HEADER: &str = "x-careaudit-event";
pub const ATTEMPT_HEADER: &str = "x-careaudit-attempt";

/// The signature header value for `body` signed at `at` with `secret`.
pub fn sign(secret: &[u8], at: DateTime<Utc>, body: &[u8]) -> String {
    let timestamp = at.timestamp();
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("hmac takes any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signature is {age_seconds} s old, more than the {tolerance_seconds} s allowed")]
    Stale {
        age_seconds: i64,
        tolerance_seconds: i64,
    },
    #[error("the signature does not match the body")]
    Mismatch,
}

/// Verifies a signature header for `body` at time `now`, allowing `tolerance_seconds` of age
/// (and of clock skew into the future).
pub fn verify_signature(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance_seconds: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => {
                signatures.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?)
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age_seconds = now.timestamp() - timestamp;
    if age_seconds.abs() > tolerance_seconds {
        return Err(SignatureError::Stale {
            age_seconds,
            tolerance_seconds,
        });
    }
    let matches = signatures
        .iter()
        .any(|signature| mac(secret, timestamp, body).verify_slice(signature).is_ok());
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// One webhook request to make.
#[derive(Debug, Clone)]
pub(crate) struct WebhookDelivery<'a> {
    pub url: &'a str,
    pub event: &'a str,
    pub body: &'a str,
    pub delivery_id: uuid::Uuid,
    pub attempt: i32,
}

/// POSTs a delivery; any answer but 2xx is an error (retried by the outbox).
pub(crate) async fn post(
    client: &reqwest::Client,
    secret: &[u8],
    delivery: &WebhookDelivery<'_>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let response = client
        .post(delivery.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            SIGNATURE_HEADER,
            sign(secret, now, delivery.body.as_bytes()),
        )
        .header(DELIVERY_HEADER, delivery.delivery_id.to_string())
        .header(EVENT_HEADER, delivery.event)
        .header(ATTEMPT_HEADER, delivery.attempt.to_string())
        .body(delivery.body.to_owned())
        .send()
        .await
        .map_err(|error| format!("webhook request failed: {error}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("webhook endpoint answered {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).expect("time")
    }

    /// Secret, body, the receiver's clock (unix seconds) and the expected verdict.
    type Check<'a> = (&'a [u8], &'a [u8], i64, Result<(), SignatureError>);

    #[test]
    fn a_signature_verifies_only_for_its_body_secret_and_time() {
        let body = br#"{"event":"case.opened"}"#;
        let header = sign(b"s3cret", at(1_800_000_000), body);
        assert!(header.starts_with("t=1800000000,v1="));
        let checks: [Check; 5] = [
            (b"s3cret", body, 1_800_000_010, Ok(())),
            (b"other", body, 1_800_000_010, Err(SignatureError::Mismatch)),
            (
                b"s3cret",
                br#"{"event":"case.opened "}"#,
                1_800_000_010,
                Err(SignatureError::Mismatch),
            ),
            (
                b"s3cret",
                body,
                1_800_000_400,
                Err(SignatureError::Stale {
                    age_seconds: 400,
                    tolerance_seconds: 300,
                }),
            ),
            (
                b"s3cret",
                body,
                1_799_999_000,
                Err(SignatureError::Stale {
                    age_seconds: -1000,
                    tolerance_seconds: 300,
                }),
            ),
        ];
        for (secret, checked_body, now, expected) in checks {
            assert_eq!(
                verify_signature(secret, &header, checked_body, at(now), 300),
                expected
            );
        }
        assert_eq!(
            verify_signature(b"s3cret", "v1=00", body, at(1_800_000_000), 300),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently with Python's hmac module:
        // hmac.new(b"whsec_test", b'1800000000.{"event":"case.opened"}', hashlib.sha256).
        let header = sign(
            b"whsec_test",
            at(1_800_000_000),
            br#"{"event":"case.opened"}"#,
        );
        assert_eq!(
            header,
            "t=1800000000,v1=ef7dd00d2ab0b191fa3e2e5dd519993731013a0b63c14361652ae7589008a062"
        );
    }
}
