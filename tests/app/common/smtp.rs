//! A real SMTP server on loopback, just capable enough for delivery tests: it records each message
//! and can refuse the first few with a temporary failure, as a busy mail server does.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    /// Starts the server; the first `refuse` messages get "451 try again later".
    pub fn start(refuse: usize) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let (store, refusals) = (Arc::clone(&messages), Arc::new(AtomicUsize::new(refuse)));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (store, refusals) = (Arc::clone(&store), Arc::clone(&refusals));
                std::thread::spawn(move || {
                    let _ = serve(stream, &store, &refusals);
                });
            }
        });
        SmtpSink { port, messages }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }
}

fn serve(
    stream: TcpStream,
    store: &Mutex<Vec<String>>,
    refusals: &AtomicUsize,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 sink.test ESMTP ready\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_ascii_uppercase();
        if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
            out.write_all(b"250-sink.test\r\n250 8BITMIME\r\n")?;
        } else if cmd.starts_with("MAIL FROM")
            || cmd.starts_with("RCPT TO")
            || cmd.starts_with("RSET")
            || cmd.starts_with("NOOP")
        {
            out.write_all(b"250 OK\r\n")?;
        } else if cmd == "DATA" {
            let refuse = refusals
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if refuse {
                out.write_all(b"451 4.3.0 Busy, try again later\r\n")?;
                continue;
            }
            out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(&line);
            }
            store.lock().unwrap().push(data);
            out.write_all(b"250 OK queued\r\n")?;
        } else if cmd == "QUIT" {
            out.write_all(b"221 Bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 Command not implemented\r\n")?;
        }
    }
}
