//! Publishing to S3 and by SMTP against real protocol servers on loopback
//! (moto for S3 and Secrets Manager, a capturing SMTP server): keys, types,
//! encryption, manifest last, failures, links, exactly-once email, secrets.

use mail_parser::{MessageParser, MimeHeaders};
use pipeline_pulse::render::Content;
use sha2::Digest;

use crate::support::moto::Moto;
use crate::support::s3_proxy::S3Proxy;
use crate::support::smtp::{Captured, Security, SmtpCapture, test_ca};
use crate::support::{Workspace, describe};

const BUCKET: &str = "finance-reports";
const PERIOD: &str = "pipeline-pulse/weekly-pipeline/2026/W47";
const LATEST: &str = "pipeline-pulse/weekly-pipeline/latest";
/// Files above this go up in parts (see `S3_MULTIPART_THRESHOLD_BYTES`).
const MULTIPART_THRESHOLD: usize = 40_000;
const RECIPIENTS: [&str; 4] = [
    "leadership@example.com",
    "cfo@example.com",
    "salesops@example.com",
    "archive@example.com",
];

fn job(bucket: &str, attach_csv: bool, max_attachment_bytes: u64) -> String {
    format!(
        r#"name = "weekly-pipeline"
cron = "0 0 7 * * Mon"
timezone = "Asia/Singapore"
steps = ["sync", "rates", "report"]
report = "pipeline-summary"

[publish.object_store]
bucket = "{bucket}"
prefix = "pipeline-pulse"

[publish.email]
to = ["Leadership <leadership@example.com>", "cfo@example.com"]
cc = ["Sales Ops <salesops@example.com>"]
bcc = ["archive@example.com"]
from = "Pipeline Pulse <pipeline-pulse@example.com>"
reply_to = "salesops@example.com"
subject = "Weekly pipeline {{period}}: open pipeline {{open_amount}}"
attach_csv = {attach_csv}
max_attachment_bytes = {max_attachment_bytes}
link_expiry_hours = 2

[ops]
to = ["On call <oncall@example.com>"]
"#
    )
}

/// A workspace whose weekly job publishes to `BUCKET` through `proxy`.
struct Setup {
    workspace: Workspace,
    moto: Moto,
    proxy: S3Proxy,
    smtp: SmtpCapture,
}

impl Setup {
    fn new(attach_csv: bool, max_attachment_bytes: u64) -> Setup {
        let moto = Moto::start();
        moto.create_bucket(BUCKET);
        let proxy = S3Proxy::start(&moto.url());
        let workspace = Workspace::new();
        workspace.write(
            "jobs/weekly-pipeline.toml",
            &job(BUCKET, attach_csv, max_attachment_bytes),
        );
        Setup {
            workspace,
            moto,
            proxy,
            smtp: SmtpCapture::start(),
        }
    }

    fn run(&self, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["--run-once", "weekly-pipeline", "--as-of", "2026-11-23"];
        args.extend_from_slice(extra);
        let threshold = MULTIPART_THRESHOLD.to_string();
        let endpoint = self.proxy.url();
        let mut vars: Vec<(&str, &str)> = Moto::aws_env();
        vars.extend([
            ("OBJECT_STORE", "s3"),
            ("S3_ENDPOINT_URL", endpoint.as_str()),
            ("S3_FORCE_PATH_STYLE", "true"),
            ("S3_SSE", "AES256"),
            ("S3_MULTIPART_THRESHOLD_BYTES", threshold.as_str()),
        ]);
        let smtp = self.smtp.env();
        vars.extend(smtp.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.workspace.run(&args, &vars)
    }

    fn manifest(&self, folder: &str) -> serde_json::Value {
        serde_json::from_slice(&self.moto.get(BUCKET, &format!("{folder}/manifest.json")))
            .expect("manifest is JSON")
    }
}

fn file_names(manifest: &serde_json::Value) -> Vec<String> {
    manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect()
}

fn parse(message: &Captured) -> mail_parser::Message<'_> {
    MessageParser::default()
        .parse(&message.data)
        .expect("the captured email parses as MIME")
}

fn report_messages(smtp: &SmtpCapture) -> Vec<Captured> {
    smtp.messages()
        .into_iter()
        .filter(|m| !m.to.iter().any(|t| t == "oncall@example.com"))
        .collect()
}

#[test]
fn s3_objects_land_typed_encrypted_and_announced_last_then_the_email_carries_the_pdf() {
    let setup = Setup::new(false, 10_000_000);
    let output = setup.run(&[]);
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));

    // Keys: every file and the manifest, under the period and under latest.
    let manifest = setup.manifest(PERIOD);
    let names = file_names(&manifest);
    assert!(
        names.iter().any(|n| n == "pipeline-summary.pdf"),
        "{names:?}"
    );
    assert!(
        names.iter().filter(|n| n.ends_with(".csv")).count() >= 9,
        "{names:?}"
    );
    let mut expected: Vec<String> = [PERIOD, LATEST]
        .iter()
        .flat_map(|folder| {
            names
                .iter()
                .map(String::as_str)
                .chain(["manifest.json"])
                .map(move |name| format!("{folder}/{name}"))
        })
        .collect();
    expected.sort();
    assert_eq!(setup.moto.keys(BUCKET), expected);

    // Type, download disposition, encryption; the manifest's sha256s match.
    for file in manifest["files"].as_array().expect("files") {
        let name = file["name"].as_str().expect("name");
        for folder in [PERIOD, LATEST] {
            let key = format!("{folder}/{name}");
            let head = setup.moto.head(BUCKET, &key);
            assert_eq!(head.content_type(), file["content_type"].as_str(), "{key}");
            assert_eq!(
                head.content_disposition(),
                Some(format!("attachment; filename=\"{name}\"").as_str()),
                "{key}"
            );
            assert_eq!(
                head.server_side_encryption().map(|s| s.as_str()),
                Some("AES256"),
                "{key}"
            );
            let bytes = setup.moto.get(BUCKET, &key);
            assert_eq!(file["bytes"], bytes.len(), "{key}");
            assert_eq!(
                file["sha256"],
                hex::encode(sha2::Sha256::digest(&bytes)),
                "{key}"
            );
        }
    }
    assert_eq!(
        setup
            .moto
            .head(BUCKET, &format!("{LATEST}/manifest.json"))
            .content_type(),
        Some("application/json")
    );
    assert_eq!(setup.manifest(LATEST), manifest);

    // Order on the wire: old manifests withdrawn first, new ones written
    // after every other object; large files went up in parts.
    let seen = setup.proxy.seen();
    let writes: Vec<(usize, &str)> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.method == "PUT" || s.method == "POST")
        .map(|(i, s)| (i, s.target.as_str()))
        .collect();
    let is_manifest = |t: &str| t.split('?').next().unwrap_or(t).ends_with("/manifest.json");
    let first_manifest_write = writes
        .iter()
        .find(|(_, t)| is_manifest(t))
        .expect("manifest written")
        .0;
    let last_file_write = writes
        .iter()
        .filter(|(_, t)| !is_manifest(t))
        .map(|(i, _)| *i)
        .max()
        .expect("files written");
    assert!(first_manifest_write > last_file_write, "{seen:#?}");
    // Each file goes up once; the latest folder's copy is made inside
    // the store, without sending the bytes again.
    for name in &names {
        let target = format!("/{BUCKET}/{LATEST}/{name}");
        let copies: Vec<&_> = seen
            .iter()
            .filter(|s| s.target.split('?').next() == Some(target.as_str()) && s.method != "HEAD")
            .collect();
        assert_eq!(copies.len(), 1, "{name}: {seen:#?}");
        assert_eq!(copies[0].method, "PUT");
        assert_eq!(
            copies[0].copy_source,
            Some(format!("{BUCKET}/{PERIOD}/{name}"))
        );
        assert_eq!(copies[0].body_bytes, 0, "{name}");
    }
    let deletes: Vec<usize> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.method == "DELETE")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(deletes.len(), 2, "{seen:#?}");
    assert!(deletes.iter().all(|&d| d < writes[0].0), "{seen:#?}");
    for file in manifest["files"].as_array().expect("files") {
        let name = file["name"].as_str().expect("name");
        let multipart = seen.iter().any(|s| {
            s.method == "POST" && s.target == format!("/{BUCKET}/{PERIOD}/{name}?uploads")
        });
        let large = file["bytes"].as_u64().expect("bytes") > MULTIPART_THRESHOLD as u64;
        assert_eq!(
            multipart, large,
            "{name}: multipart exactly when larger than the threshold"
        );
    }
    assert!(
        seen.iter().any(|s| s.target.contains("?uploads")),
        "the sample's PDF or deals.csv is above the threshold"
    );

    // The email: one SMTP transaction per recipient, MIME with text, HTML
    // and the published PDF; Bcc never in the headers.
    let messages = report_messages(&setup.smtp);
    let mut to: Vec<&str> = messages
        .iter()
        .flat_map(|m| m.to.iter().map(String::as_str))
        .collect();
    to.sort_unstable();
    let mut expected_to = RECIPIENTS.to_vec();
    expected_to.sort_unstable();
    assert_eq!(to, expected_to);
    let message = &messages[0];
    assert_eq!(message.from, "pipeline-pulse@example.com");
    assert!(
        !String::from_utf8_lossy(&message.data).contains("archive@example.com"),
        "a Bcc address is in the message"
    );
    let parsed = parse(message);
    let subject = parsed.subject().expect("subject");
    assert!(
        subject.contains("Weekly pipeline 2026-W47: open pipeline SGD "),
        "{subject}"
    );
    assert_eq!(
        parsed
            .reply_to()
            .and_then(|r| r.first())
            .and_then(|a| a.address()),
        Some("salesops@example.com")
    );
    let html = parsed.body_html(0).expect("an HTML part");
    for part in [
        "Open pipeline",
        "Top open deals",
        "<table",
        "The PDF is attached",
    ] {
        assert!(html.contains(part), "HTML lacks {part}");
    }
    assert!(
        html.contains(&format!("{}/{BUCKET}/{PERIOD}/", setup.proxy.url())),
        "HTML lacks the folder link"
    );
    assert!(!html.contains("<style"), "styles are inline only");
    let text = parsed.body_text(0).expect("a text part");
    assert!(text.contains("Open pipeline:"), "{text}");
    assert!(text.contains("Top open deals"), "{text}");
    assert!(
        text.contains("Movement of the open pipeline since 2026-11-16"),
        "{text}"
    );
    let attachments: Vec<_> = parsed.attachments().collect();
    assert_eq!(attachments.len(), 1);
    assert_eq!(
        attachments[0].attachment_name(),
        Some("pipeline-summary.pdf")
    );
    assert_eq!(
        attachments[0].contents(),
        setup
            .moto
            .get(BUCKET, &format!("{PERIOD}/pipeline-summary.pdf"))
            .as_slice(),
        "the attached PDF is the published PDF"
    );
    assert!(messages.iter().all(|m| m.data == message.data));
    let message_id = parsed.message_id().expect("Message-ID").to_owned();
    let recorded: Vec<(String, String)> = setup.workspace.database(async |db| {
        sqlx::query_as("SELECT recipients, message_id FROM deliveries")
            .fetch_all(db)
            .await
            .expect("deliveries")
    });
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].0,
        "archive@example.com,cfo@example.com,leadership@example.com,salesops@example.com"
    );
    assert!(
        recorded[0].1.contains(&message_id),
        "{recorded:?} vs {message_id}"
    );

    // Exactly once: a rerun sends nothing, --force sends once more.
    let rerun = setup.run(&[]);
    assert_eq!(rerun.status.code(), Some(3), "{}", describe(&rerun));
    assert!(
        String::from_utf8_lossy(&rerun.stdout).contains("already delivered"),
        "{}",
        describe(&rerun)
    );
    assert_eq!(report_messages(&setup.smtp).len(), 4);
    let forced = setup.run(&["--force"]);
    assert_eq!(forced.status.code(), Some(3), "{}", describe(&forced));
    assert_eq!(report_messages(&setup.smtp).len(), 8);
    assert!(
        setup
            .smtp
            .messages()
            .iter()
            .all(|m| m.to != ["oncall@example.com"])
    );
}

#[test]
fn a_refused_copy_is_uploaded_again() {
    let setup = Setup::new(false, 10_000_000);
    setup.proxy.refuse_copies();
    let output = setup.run(&[]);
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let manifest = setup.manifest(PERIOD);
    assert_eq!(setup.manifest(LATEST), manifest);
    let seen = setup.proxy.seen();
    for name in file_names(&manifest) {
        let key = format!("{LATEST}/{name}");
        assert_eq!(
            setup.moto.get(BUCKET, &key),
            setup.moto.get(BUCKET, &format!("{PERIOD}/{name}"))
        );
        let writes: Vec<_> = seen
            .iter()
            .filter(|s| s.method == "PUT" && s.target.starts_with(&format!("/{BUCKET}/{key}")))
            .map(|s| s.copy_source.is_some())
            .collect();
        // The refused copy, then the upload (a single PUT, or parts).
        assert!(
            writes.len() >= 2 && writes[0] && writes[1..].iter().all(|copy| !copy),
            "{name}: {writes:?}"
        );
    }
}

#[test]
fn a_failed_upload_leaves_no_manifest_sends_no_report_and_tells_ops() {
    let setup = Setup::new(false, 10_000_000);
    let first = setup.run(&[]);
    assert_eq!(first.status.code(), Some(3), "{}", describe(&first));
    assert_eq!(report_messages(&setup.smtp).len(), 4);

    setup
        .proxy
        .fail_writes_to(Some(&format!("{LATEST}/by_owner.csv")));
    let failed = setup.run(&["--force"]);
    assert_eq!(failed.status.code(), Some(1), "{}", describe(&failed));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("by_owner.csv") && stderr.contains("AccessDenied"),
        "{stderr}"
    );
    let keys = setup.moto.keys(BUCKET);
    assert!(
        !keys.iter().any(|k| k.ends_with("manifest.json")),
        "a manifest announces an incomplete set: {keys:#?}"
    );
    assert_eq!(
        report_messages(&setup.smtp).len(),
        4,
        "no report email after a failed upload"
    );

    // The ops notice names the job, the run and the error.
    let ops: Vec<Captured> = setup
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.to == ["oncall@example.com"])
        .collect();
    assert_eq!(ops.len(), 1);
    let run_id = stderr
        .split("run ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the run id in the error");
    let notice = parse(&ops[0]);
    let subject = notice.subject().expect("subject");
    assert!(
        subject.contains("weekly-pipeline failed") && subject.contains(run_id),
        "{subject}"
    );
    let body = notice.body_text(0).expect("text");
    assert!(
        body.contains(run_id) && body.contains("by_owner.csv"),
        "{body}"
    );

    // Once the store takes writes again, a rerun publishes the whole set.
    setup.proxy.fail_writes_to(None);
    let again = setup.run(&[]);
    assert_eq!(again.status.code(), Some(3), "{}", describe(&again));
    let files = file_names(&setup.manifest(PERIOD)).len();
    assert_eq!(setup.moto.keys(BUCKET).len(), 2 * (files + 1));
}

#[test]
fn an_oversized_report_is_sent_with_working_links_and_no_attachment() {
    let setup = Setup::new(true, 1_000);
    let output = setup.run(&[]);
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let messages = report_messages(&setup.smtp);
    assert_eq!(messages.len(), 4);
    let parsed = parse(&messages[0]);
    assert_eq!(parsed.attachments().count(), 0);
    let text = parsed.body_text(0).expect("text").into_owned();
    assert!(text.contains("links work for 2 hours"), "{text}");
    let links: Vec<(String, String)> = text
        .lines()
        .filter(|line| line.starts_with("  "))
        .filter_map(|line| line.trim().split_once(": http"))
        .map(|(name, rest)| (name.to_owned(), format!("http{rest}")))
        .collect();
    let mut linked: Vec<&str> = links.iter().map(|(name, _)| name.as_str()).collect();
    linked.sort_unstable();
    let mut published = file_names(&setup.manifest(PERIOD));
    published.sort();
    assert_eq!(linked, published, "the PDF and every CSV: {text}");
    let html = parsed.body_html(0).expect("html");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for (name, url) in &links {
        assert!(url.contains("X-Amz-Expires=7200"), "{url}");
        assert!(
            html.contains(&url.replace('&', "&amp;")),
            "{name} link not in the HTML"
        );
        let body = runtime.block_on(async {
            let response = reqwest::get(url).await.expect("download");
            assert!(
                response.status().is_success(),
                "{name}: {}",
                response.status()
            );
            response.bytes().await.expect("body").to_vec()
        });
        assert_eq!(
            body,
            setup.moto.get(BUCKET, &format!("{PERIOD}/{name}")),
            "{name}"
        );
    }
}

fn local_run(
    workspace: &Workspace,
    smtp: &SmtpCapture,
    extra_vars: &[(&str, &str)],
) -> std::process::Output {
    let mut vars: Vec<(String, String)> = smtp.env();
    vars.extend(
        extra_vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    workspace.run(
        &["--run-once", "weekly-pipeline", "--as-of", "2026-11-23"],
        &vars,
    )
}

#[test]
fn a_partly_refused_send_is_retried_only_for_the_refused_recipient() {
    let workspace = Workspace::new();
    workspace.write("jobs/weekly-pipeline.toml", &job(BUCKET, false, 10_000_000));
    let smtp = SmtpCapture::start();
    smtp.refuse(&["cfo@example.com"]);
    let first = local_run(&workspace, &smtp, &[]);
    assert_eq!(first.status.code(), Some(1), "{}", describe(&first));
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("3 of 4 recipients accepted it") && stderr.contains("cfo@example.com"),
        "{stderr}"
    );
    assert_eq!(report_messages(&smtp).len(), 3);

    smtp.refuse(&[]);
    let retry = local_run(&workspace, &smtp, &[]);
    assert_eq!(retry.status.code(), Some(3), "{}", describe(&retry));
    let messages = report_messages(&smtp);
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[3].to, ["cfo@example.com"]);

    let again = local_run(&workspace, &smtp, &[]);
    assert_eq!(again.status.code(), Some(3), "{}", describe(&again));
    assert_eq!(report_messages(&smtp).len(), 4);
}

#[test]
fn an_empty_report_is_not_emailed_when_the_job_says_so() {
    let workspace = Workspace::new();
    let job = job(BUCKET, false, 10_000_000).replace(
        "link_expiry_hours = 2",
        "link_expiry_hours = 2\nskip_when_empty = true",
    );
    workspace.write("jobs/weekly-pipeline.toml", &job);
    workspace.write(
        "empty/page-1.json",
        r#"{"data": [], "info": {"per_page": 200, "count": 0, "page": 1, "more_records": false}}"#,
    );
    let smtp = SmtpCapture::start();
    let output = local_run(&workspace, &smtp, &[("SAMPLE_DATA_DIR", "empty")]);
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "{}",
        describe(&output)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("nothing to report"),
        "{}",
        describe(&output)
    );
    assert!(smtp.messages().is_empty());
}

#[test]
fn starttls_and_implicit_tls_carry_the_credentials_encrypted() {
    let ca = test_ca();
    let ca = ca.to_str().expect("path");
    for (security, mode) in [
        (Security::StartTls, "starttls"),
        (Security::Implicit, "tls"),
    ] {
        let workspace = Workspace::new();
        let smtp = SmtpCapture::start_with(security);
        smtp.require_auth("reports@example.com", "tls-only-password");
        let output = local_run(
            &workspace,
            &smtp,
            &[
                ("SMTP_SECURITY", mode),
                ("SMTP_HOST", "localhost"),
                ("SMTP_CA_FILE", ca),
                ("SMTP_USERNAME", "reports@example.com"),
                ("SMTP_PASSWORD", "tls-only-password"),
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(3),
            "{mode}: {}",
            describe(&output)
        );
        let messages = smtp.messages();
        assert_eq!(messages.len(), 1, "{mode}");
        assert!(messages[0].tls, "{mode}: the message came in the clear");
        assert_eq!(
            messages[0].auth,
            Some((
                "reports@example.com".to_owned(),
                "tls-only-password".to_owned()
            ))
        );
    }
    // Without the private CA the certificate is not trusted: nothing is sent.
    let workspace = Workspace::new();
    let smtp = SmtpCapture::start_with(Security::Implicit);
    let untrusted = local_run(
        &workspace,
        &smtp,
        &[("SMTP_SECURITY", "tls"), ("SMTP_HOST", "localhost")],
    );
    assert_eq!(untrusted.status.code(), Some(1), "{}", describe(&untrusted));
    assert!(smtp.messages().is_empty());
}

#[test]
fn starttls_is_required_unless_plain_is_allowed() {
    let workspace = Workspace::new();
    let smtp = SmtpCapture::start();
    // The capture server offers no STARTTLS: the worker must not fall back.
    let output = local_run(&workspace, &smtp, &[("SMTP_SECURITY", "starttls")]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(smtp.messages().is_empty());
    let refused = local_run(
        &workspace,
        &smtp,
        &[("SMTP_SECURITY", "plain"), ("SMTP_ALLOW_PLAIN", "false")],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("SMTP_ALLOW_PLAIN"));
}

#[test]
fn credentials_come_from_secrets_manager_and_never_reach_the_logs() {
    use crate::support::currencyfreaks_fake::{API_KEY, CurrencyFreaksFake};
    let moto = Moto::start();
    let smtp_password = "pw-Zq81-very-secret";
    let zoho_secret = "zoho-secret-9f2c1b7e";
    moto.create_secret(
        "pulse/prod",
        &serde_json::json!({
            "SMTP_USERNAME": "reports@example.com",
            "SMTP_PASSWORD": smtp_password,
            "CURRENCY_API_KEY": API_KEY,
            "ZOHO_CLIENT_SECRET": zoho_secret,
        })
        .to_string(),
    );
    moto.create_secret(
        "pulse/partial",
        &serde_json::json!({"SMTP_USERNAME": "reports@example.com", "CURRENCY_API_KEY": API_KEY})
            .to_string(),
    );
    let rates = CurrencyFreaksFake::start();
    rates.set_rates(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        &[
            ("SGD", "1.3412"),
            ("EUR", "0.9187"),
            ("GBP", "0.7954"),
            ("MYR", "4.4671"),
        ],
    );
    let smtp = SmtpCapture::start();
    smtp.require_auth("reports@example.com", smtp_password);
    let workspace = Workspace::new();
    let endpoint = moto.url();
    let mut vars: Vec<(String, String)> = rates
        .env()
        .into_iter()
        .filter(|(k, _)| k != "CURRENCY_API_KEY")
        .collect();
    vars.extend(
        Moto::aws_env()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    vars.push(("AWS_ENDPOINT_URL_SECRETS_MANAGER".to_owned(), endpoint));
    vars.push(("LOG_LEVEL".to_owned(), "trace".to_owned()));
    let with = |name: &str| {
        let mut all: Vec<(&str, &str)> =
            vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        all.push(("AWS_SECRETS_MANAGER_SECRET_NAME", name));
        local_run(&workspace, &smtp, &all)
    };

    let output = with("pulse/prod");
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "{}",
        describe(&output)
    );
    assert!(
        rates.calls() >= 1,
        "the rates came from the API with the secret's key"
    );
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].auth,
        Some(("reports@example.com".to_owned(), smtp_password.to_owned()))
    );
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        logs.contains("Read credentials from AWS Secrets Manager"),
        "{logs}"
    );
    for value in [smtp_password, zoho_secret, API_KEY] {
        assert!(!logs.contains(value), "a secret value is in the output");
    }

    let missing = with("pulse/missing");
    assert_eq!(missing.status.code(), Some(2), "{}", describe(&missing));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("`pulse/missing`") && stderr.contains("ResourceNotFound"),
        "{stderr}"
    );

    let partial = with("pulse/partial");
    assert_eq!(partial.status.code(), Some(2), "{}", describe(&partial));
    let stderr = String::from_utf8_lossy(&partial.stderr);
    assert!(stderr.contains("no key `SMTP_PASSWORD`"), "{stderr}");
}

#[test]
fn with_s3_every_uploading_job_needs_a_bucket() {
    let workspace = Workspace::new();
    let output = workspace.run(&["jobs", "validate"], &[("OBJECT_STORE", "s3")]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("weekly-pipeline.toml: publish.object_store.bucket"),
        "{stderr}"
    );
    let output = workspace.run(
        &["jobs", "validate"],
        &[
            ("OBJECT_STORE", "s3"),
            ("S3_BUCKET", "acme-finance-reports"),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn large_objects_go_up_in_parts_and_kms_encryption_is_requested() {
    use pipeline_pulse::config::{Encryption, S3Settings};
    use pipeline_pulse::publish::{ObjectStore, S3Store};
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let proxy = S3Proxy::start(&moto.url());
    let store = S3Store::new(
        &moto.sdk(&proxy.url()),
        &S3Settings {
            bucket: Some(BUCKET.to_owned()),
            endpoint_url: Some(proxy.url()),
            force_path_style: true,
            encryption: Encryption::Kms {
                key_id: "alias/finance-reports".to_owned(),
            },
            multipart_threshold: 6 * 1024 * 1024,
            part_size: 5 * 1024 * 1024,
        },
    );
    // 11 MiB of varied bytes: three parts, the last one short, from
    // blocks of 3 MiB + 1 byte, so that every part spans two blocks.
    let bytes: bytes::Bytes = (0..11 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let block = 3 * 1024 * 1024 + 1;
    let content: Content = (0..bytes.len())
        .step_by(block)
        .map(|start| bytes.slice(start..(start + block).min(bytes.len())))
        .collect();
    assert_eq!(content.blocks().len(), 4);
    let key = "exports/big.csv";
    moto.block_on(store.put(key, &content, "text/csv; charset=utf-8"))
        .expect("multipart upload");
    let parts = proxy
        .seen()
        .iter()
        .filter(|s| s.method == "PUT" && s.target.contains("partNumber="))
        .count();
    assert_eq!(parts, 3);
    assert_eq!(moto.get(BUCKET, key), bytes);
    let head = moto.head(BUCKET, key);
    assert!(
        head.e_tag().is_some_and(|e| e.ends_with("-3\"")),
        "{:?}",
        head.e_tag()
    );
    assert_eq!(head.content_type(), Some("text/csv; charset=utf-8"));
    assert_eq!(
        head.server_side_encryption().map(|s| s.as_str()),
        Some("aws:kms")
    );
    assert_eq!(head.ssekms_key_id(), Some("alias/finance-reports"));

    // A refused part aborts the upload: no object, no parts left behind.
    let started = proxy.seen().len();
    proxy.fail_writes_to(Some("exports/refused.csv"));
    let error = moto
        .block_on(store.put("exports/refused.csv", &content, "text/csv"))
        .expect_err("refused");
    assert!(error.to_string().contains("AccessDenied"), "{error}");
    assert_eq!(moto.keys(BUCKET), [key]);
    let s3 = moto.s3();
    let pending = moto.block_on(async {
        s3.list_multipart_uploads()
            .bucket(BUCKET)
            .send()
            .await
            .expect("list uploads")
            .uploads()
            .len()
    });
    assert_eq!(pending, 0);
    let seen = proxy.seen();
    assert!(
        seen[started..]
            .iter()
            .any(|s| s.method == "DELETE" && s.target.contains("uploadId=")),
        "the upload was not aborted: {seen:#?}"
    );
}
