//! Serving a fake on loopback, on a runtime of its own, so that tests that
//! run the worker as a process need no async code of their own.

use std::net::SocketAddr;

/// A running server; it stops when this is dropped.
pub struct Loopback {
    /// Where it listens.
    pub addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl Loopback {
    /// Serves `router` on a free port of 127.0.0.1.
    pub fn serve(router: axum::Router) -> Loopback {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("fake runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind the fake");
        let addr = listener.local_addr().expect("fake address");
        runtime.spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Loopback {
            addr,
            _runtime: runtime,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
