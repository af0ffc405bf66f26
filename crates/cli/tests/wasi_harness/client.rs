//! The TCP client side of `tests/wasi/sockets.c` (see the protocol there).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A loopback address with a port that was free a moment ago.
pub fn free_local_addr() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("local address").to_string()
}

/// Connects to the guest's listener at `addr` (retrying until it listens)
/// and runs the protocol; returns a transcript of what it received, or
/// where it stopped.
pub fn converse(addr: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    let stream = loop {
        match TcpStream::connect(addr) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return format!("connect failed: {e}"),
        }
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
    let mut transcript = String::new();
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return format!("{transcript}no ready line");
    }
    transcript.push_str(&format!("got {line:?}; "));
    if writer.write_all(b"hello world\n").is_err() {
        return format!("{transcript}send failed");
    }
    let mut rest = String::new();
    match reader.read_to_string(&mut rest) {
        Ok(_) => transcript.push_str(&format!("then to eof {rest:?}; ")),
        Err(e) => return format!("{transcript}read failed: {e}"),
    }
    if writer.write_all(b"bye\n").is_err() {
        return format!("{transcript}bye failed");
    }
    transcript.push_str("sent bye");
    transcript
}
