//! Benchmark of notification delivery: N emails through the outbox (claim with a lease and a
//! claim token, send, mark sent, in PostgreSQL) against the baseline of sending the same N
//! messages with lettre directly, both to the same SMTP server on loopback. What the ratio
//! shows is the cost of the exactly-once machinery next to SMTP itself.
//!
//! `bench_outbox POSTGRES_ADMIN_URL SMTP_PORT [COUNT=2000] [BLOCKS=3]` (see bench/alerts/run.sh);
//! one warm-up block, then BLOCKS measured blocks alternating the two.

use alerts::{deliver_due, AlertsSettings, Mailer, SmtpSettings, SmtpTls};
use secrecy::SecretString;
use std::time::Instant;

const BODY: &str = "A new case needs review by a privacy officer of RDM01.\n\nCase:      CA-000042\n\
Severity:  high\nRules:     emergency_access\n\nOpen the case: https://careaudit.example/cases/CA-000042\n\n\
This message deliberately contains no patient or record details.\nSign in to careaudit to see the evidence.\n";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(admin_url), Some(port)) = (args.get(1), args.get(2)) else {
        anyhow::bail!("usage: bench_outbox POSTGRES_ADMIN_URL SMTP_PORT [COUNT] [BLOCKS]");
    };
    let port: u16 = port.parse()?;
    let count: i64 = args.get(3).map_or(Ok(2000), |c| c.parse())?;
    let blocks: usize = args.get(4).map_or(Ok(3), |b| b.parse())?;

    let database = format!("bench_outbox_{}", std::process::id());
    let admin = sqlx::PgPool::connect(admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE \"{database}\""))
        .execute(&admin)
        .await?;
    let (server, _) = admin_url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("the URL needs a database"))?;
    let pool = sqlx::PgPool::connect(&format!("{server}/{database}")).await?;
    migrations::POSTGRES_MIGRATOR.run(&pool).await?;

    let smtp = SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None::<SecretString>,
        from: "careaudit <careaudit@bench.example>".to_owned(),
        timeout_ms: 10_000,
        ca_certificate: None,
    };
    let settings = AlertsSettings::new("https://careaudit.example", smtp.clone());
    let channels = settings.channels()?;
    let mailer = Mailer::new(&smtp)?;

    println!("| block | outbox msgs/s | direct lettre msgs/s | outbox ÷ direct |");
    println!("|---|---|---|---|");
    for block in 0..=blocks {
        sqlx::query(
            "INSERT INTO notification_outbox (dedupe_key, channel, recipient, subject, body, kind)
             SELECT 'bench:' || $1 || ':' || i, 'email', 'po@bench.example', '[careaudit] New high case CA-000042 for RDM01', $2, 'case_opened'
             FROM generate_series(1, $3) AS i",
        )
        .bind(block as i64)
        .bind(BODY)
        .bind(count)
        .execute(&pool)
        .await?;
        let started = Instant::now();
        let report = deliver_due(
            &pool,
            &channels,
            chrono::Utc::now(),
            settings.delivery_limits(),
        )
        .await?;
        let outbox_rate = report.sent as f64 / started.elapsed().as_secs_f64();
        anyhow::ensure!(
            report.sent as i64 == count,
            "only {} of {count} sent: {report:?}",
            report.sent
        );

        let started = Instant::now();
        for i in 0..count {
            mailer
                .send(
                    "po@bench.example",
                    "[careaudit] New high case CA-000042 for RDM01",
                    BODY,
                    &format!("bench-direct-{block}-{i}"),
                )
                .await?;
        }
        let direct_rate = count as f64 / started.elapsed().as_secs_f64();
        let label = if block == 0 {
            "warm-up".to_owned()
        } else {
            block.to_string()
        };
        println!(
            "| {label} | {outbox_rate:.0} | {direct_rate:.0} | {:.2} |",
            outbox_rate / direct_rate
        );
    }
    pool.close().await;
    sqlx::query(&format!("DROP DATABASE \"{database}\""))
        .execute(&admin)
        .await?;
    Ok(())
}
