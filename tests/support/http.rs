//! A REST stand-in on loopback for tests: a few lines of std networking
//! that answer each request by its path (a status and a JSON body), or
//! take it and never answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// How a stand-in answers one request: a status and JSON body, or never.
pub type Route = fn(&str) -> Option<(u16, &'static str)>;

/// An HTTP/1.1 server on loopback that answers each request by `route`
/// (reading the request line only; bodies are drained by content-length).
pub fn standin(route: Route) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream, route));
        }
    });
    port
}

fn answer(stream: TcpStream, route: Route) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header.trim().is_empty() {
                break;
            }
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        let Some((status, json)) = route(&path) else {
            // Took the request; never answers it.
            std::thread::sleep(Duration::from_secs(3600));
            return;
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{json}",
            json.len()
        );
    }
}
