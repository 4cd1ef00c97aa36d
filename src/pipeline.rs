//! The run: one reader thread cuts inputs into chunks, rayon workers parse, anonymise and count
//! them into per-worker [`Stats`], and the parts are merged.
//!
//! ```text
//! reader thread ──chunks──► bounded channel ──► rayon workers (fold) ──► reduce ──► Stats
//! ```
//!
//! Compressed inputs decode on the reader thread; plain inputs are read in large blocks. The
//! channel is bounded, so memory stays at a few chunks per worker whatever the input size.

use crate::format::preset::{self, Detection};
use crate::format::{self, FormatChoice, LogFormat, MalformedReason, w3c};
use crate::input::Input;
use crate::input::chunk::{self, Chunk, ChunkReader};
use crate::input::decompress::Compression;
use crate::privacy::ip::LeadingIpv4;
use crate::privacy::visitor::{VisitorWindow, WindowSecrets};
use crate::privacy::{Anonymizer, PrivacyPolicy};
use crate::range::TimeRange;
use crate::stats::sessions::{SessionBatch, SharedSessions};
use crate::stats::{HeldVisitors, LineRef, Stats, visit_activity};
use rayon::prelude::*;
use std::sync::{OnceLock, mpsc};

/// Everything a run is configured with, built once from the command line.
#[derive(Debug, Clone)]
pub struct Plan {
    pub format: FormatChoice,
    pub privacy: PrivacyPolicy,
    pub window: VisitorWindow,
    /// Seconds of inactivity that end a visit.
    pub visit_gap: i64,
    /// Count bots in page views, visitors and visits too.
    pub include_bots: bool,
    pub range: TimeRange,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    pub chunk_size: usize,
    pub max_line: usize,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            format: FormatChoice::Auto,
            privacy: PrivacyPolicy::default(),
            window: VisitorWindow::Day,
            visit_gap: 30 * 60,
            include_bots: false,
            range: TimeRange::default(),
            threads: 0,
            chunk_size: chunk::DEFAULT_CHUNK_SIZE,
            max_line: chunk::DEFAULT_MAX_LINE,
        }
    }
}

/// What happened to one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSummary {
    pub name: String,
    pub compression: Option<Compression>,
    pub format: Option<LogFormat>,
    /// Set when the format was detected rather than given.
    pub detection: Option<Detection>,
    /// Bytes read after decompression.
    pub bytes: u64,
    /// Lines read (the last one may lack its newline).
    pub lines: u64,
    /// Why the input was not read to its end, if it was not. Never holds bytes of the input.
    pub error: Option<String>,
}

/// The result of a run: the merged counts and what happened to each input.
#[derive(Debug)]
pub struct Analysis {
    pub stats: Stats,
    pub inputs: Vec<InputSummary>,
}

impl Analysis {
    /// True when every input was read to its end.
    pub fn complete(&self) -> bool {
        self.inputs.iter().all(|i| i.error.is_none())
    }
}

/// A chunk on its way to a worker.
struct Job {
    input: usize,
    format: LogFormat,
    chunk: Chunk,
}

/// Runs a [`Plan`]; owns the visitor-window secrets of the run.
pub struct Analyzer {
    plan: Plan,
    secrets: WindowSecrets,
    /// The worker threads, started by the first run and kept for the runs and reports after it.
    pool: OnceLock<rayon::ThreadPool>,
}

impl Analyzer {
    pub fn new(plan: Plan) -> Analyzer {
        let secrets = WindowSecrets::new(plan.window);
        Analyzer {
            plan,
            secrets,
            pool: OnceLock::new(),
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The plan's threads.
    fn pool(&self) -> Result<&rayon::ThreadPool, rayon::ThreadPoolBuildError> {
        if let Some(pool) = self.pool.get() {
            return Ok(pool);
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.plan.threads)
            .build()?;
        Ok(self.pool.get_or_init(|| pool))
    }

    /// Runs `work` on the plan's threads, so that what it does in parallel (building a report
    /// out of the counts) uses as many threads as the run did.
    pub fn install<R: Send>(
        &self,
        work: impl FnOnce() -> R + Send,
    ) -> Result<R, rayon::ThreadPoolBuildError> {
        Ok(self.pool()?.install(work))
    }

    /// Reads every input and returns the merged counts.
    pub fn run(&self, inputs: &[Input]) -> Result<Analysis, rayon::ThreadPoolBuildError> {
        let pool = self.pool()?;
        let (tx, rx) = mpsc::sync_channel::<Job>(pool.current_num_threads() * 2);
        let shared = SharedSessions::new(self.plan.visit_gap, self.plan.window);
        let sessions = &shared;
        let (mut stats, summaries) = std::thread::scope(|scope| {
            let reader = scope.spawn(move || self.read_inputs(inputs, tx));
            let stats = pool.install(|| {
                rx.into_iter()
                    .par_bridge()
                    .fold(
                        || Worker::new(self, sessions),
                        |mut worker, job| {
                            worker.process(&job);
                            worker
                        },
                    )
                    .map(Worker::finish)
                    .reduce(
                        || Stats::new(self.plan.visit_gap, self.plan.window),
                        // Into the larger part: merging a worker's counts into the empty
                        // identity would copy every row and visitor set it holds.
                        |a, b| {
                            let (mut larger, smaller) =
                                if a.hits >= b.hits { (a, b) } else { (b, a) };
                            larger.merge(&smaller);
                            // perf: freed by a thread that would otherwise wait; freeing a
                            // worker's counts took about 4 ms more of a 1 GiB log's merge.
                            rayon::spawn(move || drop(smaller));
                            larger
                        },
                    )
            });
            (
                stats,
                reader.join().expect("the reader thread does not panic"),
            )
        });
        // Every worker wrote its visits to the one shared store.
        stats.sessions = shared.into_sessions();
        stats.flush_pending();
        Ok(Analysis {
            stats,
            inputs: summaries,
        })
    }

    /// The reader thread: opens each input in turn and sends its chunks.
    fn read_inputs(&self, inputs: &[Input], tx: mpsc::SyncSender<Job>) -> Vec<InputSummary> {
        inputs
            .iter()
            .enumerate()
            .map(|(index, input)| self.read_input(index, input, &tx))
            .collect()
    }

    fn read_input(&self, index: usize, input: &Input, tx: &mpsc::SyncSender<Job>) -> InputSummary {
        let mut out = InputDispatch {
            input: index,
            tx,
            format: match &self.plan.format {
                FormatChoice::Fixed(f) => Some(f.clone()),
                FormatChoice::Auto => None,
            },
            w3c_layout: None,
            pending: Vec::new(),
            summary: InputSummary {
                name: input.name(),
                compression: None,
                format: None,
                detection: None,
                bytes: 0,
                lines: 0,
                error: None,
            },
        };
        let (compression, reader) = match input.open() {
            Ok(opened) => opened,
            Err(e) => {
                out.summary.error = Some(format!("cannot open: {e}"));
                return out.summary;
            }
        };
        out.summary.compression = Some(compression);
        let mut chunks = ChunkReader::new(reader, self.plan.chunk_size, self.plan.max_line);
        loop {
            match chunks.next_chunk() {
                Ok(Some(chunk)) => {
                    if !out.push(chunk) {
                        break;
                    }
                }
                Ok(None) => {
                    out.flush_pending();
                    break;
                }
                Err(e) => {
                    out.flush_pending();
                    let what = match compression {
                        Compression::None => "read error",
                        Compression::Gzip => "truncated or corrupt gzip stream",
                        Compression::Zstd => "truncated or corrupt zstd stream",
                    };
                    out.summary.error = Some(format!(
                        "{what} after {} bytes ({} lines): {e}",
                        chunks.bytes_read(),
                        chunks.lines_read()
                    ));
                    break;
                }
            }
        }
        out.summary.format = out.format;
        out.summary.bytes = chunks.bytes_read();
        out.summary.lines = chunks.lines_read();
        out.summary
    }
}

/// How many bytes detection may hold back while it gathers its sample.
const DETECTION_BYTES: usize = 1 << 20;

/// The reader thread's state for one input: its format (given, or detected from the first
/// lines), the W3C layout in force, and the chunks held back until detection has seen enough.
struct InputDispatch<'t> {
    input: usize,
    tx: &'t mpsc::SyncSender<Job>,
    format: Option<LogFormat>,
    w3c_layout: Option<LogFormat>,
    pending: Vec<Chunk>,
    summary: InputSummary,
}

impl InputDispatch<'_> {
    /// Takes the next chunk; returns false when reading this input should stop.
    fn push(&mut self, chunk: Chunk) -> bool {
        if self.format.is_some() {
            return self.send(chunk);
        }
        // Line numbers tell how many lines are held back; only the new chunk needs counting.
        let next_line = chunk.first_line + bytecount::count(&chunk.data, b'\n') as u64;
        self.pending.push(chunk);
        let lines = next_line - self.pending[0].first_line;
        let bytes: usize = self.pending.iter().map(|c| c.data.len()).sum();
        if lines <= (preset::SAMPLE_LINES + 20) as u64 && bytes < DETECTION_BYTES {
            return true;
        }
        self.flush_pending()
    }

    /// Detects the format on the held-back chunks, if that is still to do, and sends them.
    fn flush_pending(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        if self.format.is_none() {
            let mut sample = Vec::new();
            for c in &self.pending {
                let room = DETECTION_BYTES.saturating_sub(sample.len());
                sample.extend_from_slice(&c.data[..c.data.len().min(room)]);
            }
            match preset::detect(&sample) {
                Some(d) if d.fits() => {
                    self.format = Some(d.format.clone());
                    self.summary.detection = Some(d);
                }
                closest => {
                    self.summary.error = Some(no_format_fits(closest.as_ref()));
                    self.pending.clear();
                    return false;
                }
            }
        }
        for chunk in std::mem::take(&mut self.pending) {
            if !self.send(chunk) {
                return false;
            }
        }
        true
    }

    /// Sends a chunk to the workers; returns false when they are gone.
    fn send(&mut self, chunk: Chunk) -> bool {
        let format = self
            .format
            .clone()
            .expect("the format is known before chunks are sent");
        match format.w3c_separator() {
            Some(separator) => self.send_w3c(&format, separator, chunk),
            None => self
                .tx
                .send(Job {
                    input: self.input,
                    format,
                    chunk,
                })
                .is_ok(),
        }
    }

    /// Sends a chunk of a W3C input: directive lines are dropped, `#Fields:` changes the layout,
    /// and each run of data lines goes out with the layout in force for it.
    fn send_w3c(&mut self, marker: &LogFormat, separator: u8, chunk: Chunk) -> bool {
        let Chunk {
            data,
            first_line,
            mut skipped_long_lines,
        } = chunk;
        let (mut run_start, mut run_first_line) = (0, first_line);
        let (mut pos, mut line_no) = (0, first_line);
        let mut runs = Vec::new();
        while pos < data.len() {
            let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i + 1);
            let line = &data[pos..end];
            if w3c::is_directive(line) {
                runs.push((run_start, pos, run_first_line, self.w3c_layout.clone()));
                if line.starts_with(w3c::FIELDS_DIRECTIVE) {
                    let text = line.strip_suffix(b"\n").unwrap_or(line);
                    let text = text.strip_suffix(b"\r").unwrap_or(text);
                    match w3c::layout(marker.name(), text, separator) {
                        Ok(next) => self.w3c_layout = Some(next),
                        Err(e) => {
                            self.summary
                                .error
                                .get_or_insert(format!("line {line_no}: #Fields: {e}"));
                            self.w3c_layout = None;
                        }
                    }
                }
                run_start = end;
                run_first_line = line_no + 1;
            }
            pos = end;
            line_no += 1;
        }
        runs.push((
            run_start,
            data.len(),
            run_first_line,
            self.w3c_layout.clone(),
        ));
        for (from, to, first, layout) in runs {
            if from >= to && skipped_long_lines.is_empty() {
                continue;
            }
            let chunk = Chunk {
                data: data[from..to].to_vec(),
                first_line: first,
                skipped_long_lines: std::mem::take(&mut skipped_long_lines),
            };
            let format = layout.unwrap_or_else(|| marker.clone());
            if self
                .tx
                .send(Job {
                    input: self.input,
                    format,
                    chunk,
                })
                .is_err()
            {
                return false;
            }
        }
        true
    }
}

/// Says that no preset fits an input, naming the closest and why its lines fail.
fn no_format_fits(closest: Option<&Detection>) -> String {
    let mut message = "no known log format matches the first lines".to_string();
    if let Some(d) = closest {
        message.push_str(&format!("; the closest preset is {}", d.format.name()));
        if let Some(reason) = d.first_failure {
            message.push_str(&format!(", whose lines fail with {}", reason.as_str()));
        }
    }
    message.push_str(" (give the format with --log-format; `logveil formats` lists the presets)");
    message
}

/// One worker's state: its privacy step (with caches and buffers) and its counts.
struct Worker<'a> {
    anonymizer: Anonymizer<'a>,
    stats: Stats,
    sessions: SessionBatch<'a>,
    /// The last counted line's visitors, which go into their sets with the next line.
    held: HeldVisitors,
    range: TimeRange,
    include_bots: bool,
}

impl<'a> Worker<'a> {
    fn new(analyzer: &'a Analyzer, sessions: &'a SharedSessions) -> Worker<'a> {
        Worker {
            anonymizer: Anonymizer::new(&analyzer.plan.privacy, &analyzer.secrets),
            stats: Stats::new(analyzer.plan.visit_gap, analyzer.plan.window),
            sessions: sessions.batch(),
            held: HeldVisitors::default(),
            range: analyzer.plan.range,
            include_bots: analyzer.plan.include_bots,
        }
    }

    /// Hands the held visits to the shared store and returns the counts.
    fn finish(mut self) -> Stats {
        self.sessions.flush();
        self.stats.insert_visitors(self.held);
        self.stats
    }

    fn process(&mut self, job: &Job) {
        for &line in &job.chunk.skipped_long_lines {
            self.stats.add_malformed(LineRef {
                input: job.input,
                line,
                reason: MalformedReason::LineTooLong,
            });
        }
        // Each line's leading address is read two lines ahead, and the loads of its country
        // start while the lines before it are counted: the worker's recent answer two lines
        // ahead, the shared table's a line ahead when the recent answer is not the one.
        let mut lines = format::lines(&job.chunk.data)
            .enumerate()
            .map(|(offset, line)| (offset, line, LeadingIpv4::of(line)));
        let mut current = lines.next();
        let mut next = lines.next();
        for (_, _, leading) in current.iter().chain(next.iter()) {
            if let Some(address) = leading {
                self.anonymizer.prefetch_country(address);
            }
        }
        while let Some((offset, line, leading)) = current {
            let after = lines.next();
            if let Some((_, _, Some(address))) = &after {
                self.anonymizer.prefetch_country(address);
            }
            if let Some((_, _, Some(address))) = &next {
                self.anonymizer.prefetch_shared_country(address);
            }
            if let Err(reason) = self.process_line(&job.format, line, leading) {
                self.stats.add_malformed(LineRef {
                    input: job.input,
                    line: job.chunk.first_line + offset as u64,
                    reason,
                });
            }
            current = next;
            next = after;
        }
    }

    #[inline]
    fn process_line<'l>(
        &mut self,
        format: &LogFormat,
        line: &'l [u8],
        leading: Option<LeadingIpv4<'l>>,
    ) -> Result<(), MalformedReason> {
        if line.is_empty() {
            return Err(MalformedReason::EmptyLine);
        }
        // perf: the parsed line is borrowed where it was returned; `?` on the result moved
        // its 191 bytes with a `memcpy` call on every line.
        let parsed = format.parse(line);
        let raw = parsed.as_ref().map_err(|reason| *reason)?;
        let time = self.anonymizer.time_of(raw)?;
        if !self.range.contains(time) {
            self.stats.out_of_range += 1;
            return Ok(());
        }
        let event = self.anonymizer.anonymize_read_ahead(raw, time, leading)?;
        let counts_as_visitor = self.include_bots || !event.agent.is_bot();
        if counts_as_visitor {
            self.sessions
                .add(event.visitor, event.time, visit_activity(&event));
        }
        let before = std::mem::take(&mut self.held);
        self.held = self
            .stats
            .add_holding_visitors(&event, counts_as_visitor, before);
        Ok(())
    }
}
