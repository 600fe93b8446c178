//! A capturing SMTP server on loopback: speaks enough ESMTP for a real
//! client (EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA with
//! dot-unstuffing, RSET, NOOP, QUIT), plain, with STARTTLS or with implicit
//! TLS (the certificate of `tests/fixtures/smtp-tls`), stores each accepted
//! message with its envelope, and can refuse recipients with a 550.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// How the server protects the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// No TLS, and no STARTTLS offered.
    Plain,
    /// STARTTLS offered, and required before MAIL.
    StartTls,
    /// TLS from the first byte.
    Implicit,
}

/// The CA that signed the server's certificate, for `SMTP_CA_FILE`.
pub fn test_ca() -> PathBuf {
    fixtures().join("ca.pem")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp-tls")
}

fn acceptor() -> TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(fixtures().join("cert.pem"))
        .expect("test certificate")
        .collect::<Result<Vec<_>, _>>()
        .expect("test certificate");
    let key = PrivateKeyDer::from_pem_file(fixtures().join("key.pem")).expect("test key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server certificate");
    TlsAcceptor::from(Arc::new(config))
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}
type BoxStream = Pin<Box<dyn Stream>>;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Captured {
    /// `MAIL FROM`.
    pub from: String,
    /// `RCPT TO`s, in order.
    pub to: Vec<String>,
    /// The message as sent, line endings and all.
    pub data: Vec<u8>,
    /// The user and password of `AUTH`, if the client authenticated.
    pub auth: Option<(String, String)>,
    /// Whether the message came over TLS.
    pub tls: bool,
}

#[derive(Default)]
struct State {
    messages: Vec<Captured>,
    refused: Vec<String>,
    credentials: Option<(String, String)>,
}

type Shared = Arc<Mutex<State>>;

/// A running server; stops when dropped.
pub struct SmtpCapture {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Shared,
    _runtime: tokio::runtime::Runtime,
}

impl SmtpCapture {
    /// Starts a plain server; it accepts any client until told otherwise.
    pub fn start() -> SmtpCapture {
        Self::start_with(Security::Plain)
    }

    /// Starts a server with the given protection.
    pub fn start_with(security: Security) -> SmtpCapture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("smtp runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind smtp");
        let addr = listener.local_addr().expect("smtp address");
        let state = Shared::default();
        let shared = state.clone();
        let acceptor = acceptor();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let (stream, tls): (BoxStream, bool) = if security == Security::Implicit {
                        match acceptor.accept(stream).await {
                            Ok(tls) => (Box::pin(tls), true),
                            Err(_) => return,
                        }
                    } else {
                        (Box::pin(stream), false)
                    };
                    let offer = (security == Security::StartTls).then_some(acceptor);
                    let _ = session(stream, tls, offer, state).await;
                });
            }
        });
        SmtpCapture {
            addr,
            state,
            _runtime: runtime,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("smtp state"))
    }

    /// Requires `AUTH` with these credentials before `MAIL`.
    pub fn require_auth(&self, user: &str, password: &str) {
        self.with(|s| s.credentials = Some((user.to_owned(), password.to_owned())));
    }

    /// Refuses these recipients with 550 (none when empty).
    pub fn refuse(&self, addresses: &[&str]) {
        self.with(|s| s.refused = addresses.iter().map(|a| (*a).to_owned()).collect());
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<Captured> {
        self.with(|s| s.messages.clone())
    }

    /// The variables that point the worker at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("MAILER".to_owned(), "smtp".to_owned()),
            ("SMTP_HOST".to_owned(), "127.0.0.1".to_owned()),
            ("SMTP_PORT".to_owned(), self.addr.port().to_string()),
            ("SMTP_SECURITY".to_owned(), "plain".to_owned()),
            ("SMTP_ALLOW_PLAIN".to_owned(), "true".to_owned()),
            ("SMTP_TIMEOUT_SECS".to_owned(), "5".to_owned()),
        ]
    }
}

fn address(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument.find('>').unwrap_or(argument.len());
    argument[start..end].to_owned()
}

fn decode(text: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

async fn session(
    stream: BoxStream,
    mut tls: bool,
    mut starttls: Option<TlsAcceptor>,
    state: Shared,
) -> std::io::Result<()> {
    let mut lines = BufReader::new(stream);
    say(&mut lines, b"220 capture ESMTP\r\n").await?;
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    let mut auth: Option<(String, String)> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let offer = if starttls.is_some() && !tls {
                "250-STARTTLS\r\n"
            } else {
                ""
            };
            format!(
                "250-capture\r\n{offer}250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n"
            )
        } else if upper == "STARTTLS"
            && !tls
            && let Some(acceptor) = starttls.take()
        {
            say(&mut lines, b"220 Ready to start TLS\r\n").await?;
            let upgraded = acceptor.accept(lines.into_inner()).await?;
            lines = BufReader::new(Box::pin(upgraded) as BoxStream);
            tls = true;
            // The client starts again with EHLO; nothing said before counts.
            auth = None;
            continue;
        } else if upper.starts_with("AUTH PLAIN") {
            let mut initial = command[10..].trim().to_owned();
            if initial.is_empty() {
                say(&mut lines, b"334 \r\n").await?;
                line.clear();
                lines.read_line(&mut line).await?;
                initial = line.trim().to_owned();
            }
            let decoded = decode(&initial);
            let mut parts = decoded.split('\0').skip(1);
            let user = parts.next().unwrap_or_default().to_owned();
            let password = parts.next().unwrap_or_default().to_owned();
            auth = Some((user, password));
            check_auth(&state, &auth)
        } else if upper.starts_with("AUTH LOGIN") {
            say(&mut lines, b"334 VXNlcm5hbWU6\r\n").await?;
            line.clear();
            lines.read_line(&mut line).await?;
            let user = decode(&line);
            say(&mut lines, b"334 UGFzc3dvcmQ6\r\n").await?;
            line.clear();
            lines.read_line(&mut line).await?;
            auth = Some((user, decode(&line)));
            check_auth(&state, &auth)
        } else if upper.starts_with("MAIL FROM:") {
            let needs_auth = state.lock().expect("smtp state").credentials.is_some();
            if starttls.is_some() && !tls {
                "530 5.7.0 Must issue a STARTTLS command first\r\n".to_owned()
            } else if needs_auth && auth.is_none() {
                "530 5.7.0 Authentication required\r\n".to_owned()
            } else {
                from = address(&command[10..]);
                to.clear();
                "250 OK\r\n".to_owned()
            }
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&command[8..]);
            let refused = state
                .lock()
                .expect("smtp state")
                .refused
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&rcpt));
            if refused {
                format!("550 5.1.1 <{rcpt}>: mailbox unavailable\r\n")
            } else {
                to.push(rcpt);
                "250 OK\r\n".to_owned()
            }
        } else if upper == "DATA" {
            say(&mut lines, b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
            let mut data = Vec::new();
            loop {
                let mut raw = Vec::new();
                if lines.read_until(b'\n', &mut raw).await? == 0 {
                    return Ok(());
                }
                if raw == b".\r\n" {
                    break;
                }
                let unstuffed = if raw.starts_with(b"..") {
                    &raw[1..]
                } else {
                    &raw[..]
                };
                data.extend_from_slice(unstuffed);
            }
            let mut s = state.lock().expect("smtp state");
            s.messages.push(Captured {
                from: from.clone(),
                to: to.clone(),
                data,
                auth: auth.clone(),
                tls,
            });
            format!("250 OK queued as capture-{}\r\n", s.messages.len())
        } else if upper == "RSET" {
            to.clear();
            "250 OK\r\n".to_owned()
        } else if upper == "NOOP" {
            "250 OK\r\n".to_owned()
        } else if upper == "QUIT" {
            say(&mut lines, b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 Command not implemented\r\n".to_owned()
        };
        say(&mut lines, reply.as_bytes()).await?;
    }
}

/// Writes a reply and flushes it (TLS buffers what it is given).
async fn say(lines: &mut BufReader<BoxStream>, text: &[u8]) -> std::io::Result<()> {
    let stream = lines.get_mut();
    stream.write_all(text).await?;
    stream.flush().await
}

fn check_auth(state: &Shared, auth: &Option<(String, String)>) -> String {
    let expected = state.lock().expect("smtp state").credentials.clone();
    match expected {
        Some(expected) if Some(&expected) != auth.as_ref() => {
            "535 5.7.8 Authentication credentials invalid\r\n".to_owned()
        }
        _ => "235 2.7.0 Authentication successful\r\n".to_owned(),
    }
}
