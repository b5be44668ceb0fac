//! A loopback HTTP/1.1 server for the download tests: canned replies by path, a record of
//! what was asked, a fixed number of connections and a deadline, so no test can hang on it.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long the server waits for all its connections before giving up.
const DEADLINE: Duration = Duration::from_secs(20);
/// Per-connection read and write timeout.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// What the server answers on a path.
#[derive(Clone)]
pub(super) enum Reply {
    /// `200 OK` with this body and its true `Content-Length`.
    Body(Vec<u8>),
    /// This status with an empty body.
    Status(u16),
    /// `302 Found` to this path (and query) on the same server, as an absolute URL.
    Redirect(String),
    /// `200 OK` announcing `claimed` bytes, sending `body`, then closing the connection.
    ShortBody { claimed: usize, body: Vec<u8> },
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub(super) struct Seen {
    /// Path and query.
    pub target: String,
    /// The `Authorization` header, if sent.
    pub authorization: Option<String>,
}

/// A server on `127.0.0.1:<free port>`, running on its own thread.
pub(super) struct TestServer {
    addr: SocketAddr,
    handle: JoinHandle<Vec<Seen>>,
}

impl TestServer {
    /// Serves `routes` (matched on the path without query; others get 404) for `connections`
    /// connections, one request each.
    pub(super) fn start(routes: Vec<(&'static str, Reply)>, connections: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().expect("local addr");
        let handle = thread::spawn(move || {
            let deadline = Instant::now() + DEADLINE;
            let mut seen = Vec::new();
            let mut served = 0;
            while served < connections && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        if let Some(request) = serve_one(stream, &routes, addr) {
                            seen.push(request);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
                    Err(_) => break,
                }
            }
            seen
        });
        Self { addr, handle }
    }

    /// The API root to give a client.
    pub(super) fn api(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    /// `http://<addr>`.
    pub(super) fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits for the server to finish and returns the requests it saw, in order.
    pub(super) fn finish(self) -> Vec<Seen> {
        self.handle.join().expect("test server thread")
    }
}

fn serve_one(mut stream: TcpStream, routes: &[(&'static str, Reply)], addr: SocketAddr) -> Option<Seen> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    let head = read_head(&mut stream)?;
    let mut lines = head.split("\r\n");
    let target = lines.next()?.split(' ').nth(1)?.to_owned();
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.trim().to_owned());
    let path = target.split('?').next().unwrap_or(&target);
    let reply = routes.iter().find(|(p, _)| *p == path).map_or(Reply::Status(404), |(_, r)| r.clone());
    let (status, headers, body, claimed) = match reply {
        Reply::Body(body) => (200, String::new(), body.clone(), body.len()),
        Reply::Status(status) => (status, String::new(), Vec::new(), 0),
        Reply::Redirect(to) => (302, format!("Location: http://{addr}{to}\r\n"), Vec::new(), 0),
        Reply::ShortBody { claimed, body } => (200, String::new(), body, claimed),
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/zip\r\nContent-Length: {claimed}\r\n\
         Connection: close\r\n{headers}\r\n"
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body)).and_then(|()| stream.flush());
    let _ = stream.shutdown(Shutdown::Both);
    Some(Seen { target, authorization })
}

/// Reads up to the blank line that ends the request head (GET requests have no body).
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).ok()
}
