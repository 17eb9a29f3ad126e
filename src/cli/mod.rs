//! The `kensaku` command line: argument parsing and dispatch to the library.

mod progress;
mod render;

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use std::sync::Arc;

use crate::analysis;
use crate::article::UrlTemplate;
use crate::curation::CurationConfig;
use crate::embed::config::EmbedderArgs;
use crate::embed::http::HttpEmbedder;
use crate::eval;
use crate::index::embedding::VectorArgs;
use crate::index::{self, BuildOptions, IndexDir};
use crate::locale::Locale;
use crate::search::{Engine, Filter, Ranking, SearchRequest, limits};
use crate::source::{Source, SourceArgs};

/// kensaku (検索): multilingual full-text search for support documentation.
#[derive(Debug, Parser)]
#[command(name = "kensaku", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build or update the index from a markdown folder, a built site or a
    /// live site (default: the bundled demo corpus).
    Index(IndexArgs),
    /// Search the index from the terminal.
    Search(SearchArgs),
    /// Measure relevance on judged queries (MRR@10, Success@k, nDCG@10).
    Eval(EvalArgs),
    /// Show how a locale's analyzer splits text into tokens.
    Analyze(AnalyzeArgs),
    /// Print the parsed articles of a source as JSON lines (to feed other tools).
    Export(ExportArgs),
    /// Serve the HTTP API, the search box and a demo site (indexes the demo
    /// corpus, or --corpus, first if there is no index yet).
    Serve(Box<crate::server::ServeArgs>),
    /// Search analytics reports: what readers search, and do not find.
    Analytics(AnalyticsArgs),
}

#[derive(Debug, Args)]
pub struct AnalyticsArgs {
    /// The report.
    #[arg(value_enum)]
    pub report: AnalyticsReport,
    /// Folder of the analytics database [default: `analytics` beside the
    /// index folder, as `kensaku serve` keeps it].
    #[arg(long, env = "KENSAKU_ANALYTICS_DIR")]
    pub analytics_dir: Option<PathBuf>,
    /// PostgreSQL database of the analytics (as `kensaku serve
    /// --analytics-url`), instead of the folder.
    #[arg(long, env = "KENSAKU_ANALYTICS_URL", hide_env_values = true)]
    pub analytics_url: Option<String>,
    #[command(flatten)]
    pub index_dir: IndexDirArg,
    /// Only searches of this locale.
    #[arg(long)]
    pub locale: Option<Locale>,
    /// First day, YYYY-MM-DD (UTC, inclusive).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC, inclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Rows to show.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnalyticsReport {
    TopQueries,
    NoResults,
    NoClicks,
    ClickThrough,
    Daily,
}

#[derive(Debug, Args)]
pub struct IndexDirArg {
    /// Folder holding one index per locale.
    #[arg(long, env = "KENSAKU_INDEX_DIR", default_value = "index")]
    pub index_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    #[command(flatten)]
    pub index_dir: IndexDirArg,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Article URL template with `{locale}` and `{path}` (markdown); for a
    /// site, the URL of its root (pages with no canonical link are served
    /// under it) [default: /docs/{locale}/{path}; a site's own paths].
    #[arg(long, env = "KENSAKU_BASE_URL")]
    pub base_url: Option<String>,
    /// Rebuild every locale from scratch instead of updating changed articles.
    #[arg(long)]
    pub full: bool,
    /// Print the build report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub embedder: EmbedderArgs,
    #[command(flatten)]
    pub vectors: VectorArgs,
}

#[derive(Debug, Args)]
// The embedder flags that only matter to a build (passage batches and
// parallel requests; the passage prefix is recorded with the vectors) are
// hidden from the commands that embed only queries, still accepted.
#[command(
    mut_arg("batch", |a| a.hide(true)),
    mut_arg("concurrency", |a| a.hide(true)),
    mut_arg("passage_prefix", |a| a.hide(true))
)]
pub struct SearchArgs {
    #[command(flatten)]
    pub index_dir: IndexDirArg,
    /// Locale to search (e.g. ja-jp); detected from the query if absent.
    #[arg(long)]
    pub locale: Option<Locale>,
    /// Results to show (1 to 100).
    #[arg(long, default_value_t = limits::SEARCH_LIMIT.default)]
    pub limit: usize,
    /// Results to skip first, for the next page (0 to 10000).
    #[arg(long, default_value_t = limits::SEARCH_OFFSET.default)]
    pub offset: usize,
    /// Only articles with this metadata value, as FACET=VALUE (repeatable;
    /// facets: service, topic, author).
    #[arg(long = "filter", value_name = "FACET=VALUE", value_parser = parse_filter)]
    pub filters: Vec<Filter>,
    /// Print the response as JSON.
    #[arg(long)]
    pub json: bool,
    /// Weight of meaning against words, 0 to 1 (with an embedder).
    #[arg(long)]
    pub semantic_ratio: Option<f32>,
    #[command(flatten)]
    pub embedder: EmbedderArgs,
    #[command(flatten)]
    pub curation: CurationConfig,
    /// The query (several words are joined with spaces).
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
}

#[derive(Debug, Args)]
// The embedder flags that only matter to a build (passage batches and
// parallel requests; the passage prefix is recorded with the vectors) are
// hidden from the commands that embed only queries, still accepted.
#[command(
    mut_arg("batch", |a| a.hide(true)),
    mut_arg("concurrency", |a| a.hide(true)),
    mut_arg("passage_prefix", |a| a.hide(true))
)]
pub struct EvalArgs {
    #[command(flatten)]
    pub index_dir: IndexDirArg,
    /// Judged queries, one JSON object per line (see eval/README.md of the
    /// shared data); several files are reported per file (set) too.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Also send each need's en-us query to these locales (e.g.
    /// ja-jp,zh-cn,ko-kr), judged as that locale's query.
    #[arg(long, value_delimiter = ',')]
    pub cross_language: Vec<Locale>,
    /// Weight of meaning against words, 0 to 1 (with an embedder).
    #[arg(long)]
    pub semantic_ratio: Option<f32>,
    /// Cross-validate: split the needs into this many folds, choose the
    /// best of --grid on the others, score each fold held out.
    #[arg(long, requires = "grid")]
    pub folds: Option<usize>,
    /// Ranking configurations to choose among (a JSON array of --ranking
    /// objects, or a file holding one).
    #[arg(long)]
    pub grid: Option<String>,
    #[command(flatten)]
    pub embedder: EmbedderArgs,
    #[command(flatten)]
    pub curation: CurationConfig,
    /// Do not send the query's locale: measure language detection too.
    #[arg(long)]
    pub detect_locale: bool,
    /// Print the full report (per query) as JSON.
    #[arg(long)]
    pub json: bool,
    /// List the queries whose first relevant article is not ranked first.
    #[arg(long)]
    pub misses: bool,
    /// Ranking weights to override, as JSON (e.g. '{"title": 4.0}'), for tuning.
    #[arg(long)]
    pub ranking: Option<String>,
    /// Score this TREC run file (`qid Q0 docid rank score tag`, qid = the
    /// judgment's `id`) instead of searching: the same metrics for any engine.
    #[arg(long)]
    pub run: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// As `index --base-url`.
    #[arg(long, env = "KENSAKU_BASE_URL")]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub index_dir: IndexDirArg,
    /// Only articles of this locale.
    #[arg(long)]
    pub locale: Option<Locale>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Locale whose analyzer to use.
    #[arg(long)]
    pub locale: Locale,
    /// The text to analyze.
    #[arg(required = true, num_args = 1..)]
    pub text: Vec<String>,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_format = match &cli.command {
        Command::Serve(args) => args.log_format,
        _ => None,
    };
    let default_level = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    init_logging(
        default_level,
        log_format == Some(crate::server::config::LogFormat::Json),
    );
    match run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`| head`, `| grep -q`): not an
        // error, as for any Unix filter (ripgrep's way).
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes `text` to stdout. Unlike `print!`, a closed pipe is an error to
/// return (see [`is_broken_pipe`]), not a panic.
fn emit(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// [`emit`] and a newline.
fn emit_line(text: &str) -> std::io::Result<()> {
    emit(text)?;
    emit("\n")
}

/// Whether `error` comes from writing to a pipe whose reader has gone.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|e| e.io_error_kind())
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Logs go to stderr; `KENSAKU_LOG` takes a tracing filter (`info`, `kensaku=debug`).
fn init_logging(default_level: &str, json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("KENSAKU_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Index(args) => index_command(args),
        Command::Search(args) => search_command(args),
        Command::Eval(args) => eval_command(args),
        Command::Analyze(args) => analyze_command(args),
        Command::Export(args) => export_command(args),
        Command::Analytics(args) => analytics_command(args),
        Command::Serve(args) => {
            prefer_small_pages();
            crate::server::run(crate::server::ServerConfig::resolve(*args)?)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A server keeps its memory small: no transparent huge pages for this
/// process. The allocator asks for them (`madvise`), which speeds indexing
/// up by a tenth but made a serving process's heap twice as large (see
/// docs/benchmarks-history.md); an index build run by `kensaku index` keeps them.
fn prefer_small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of the calling process.
    let refused = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) } != 0;
    #[cfg(not(target_os = "linux"))]
    let refused = false;
    if refused {
        tracing::debug!("transparent huge pages could not be disabled");
    }
}

/// `service=partner-dashboard` → a filter on a facet.
fn parse_filter(text: &str) -> Result<Filter, String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not FACET=VALUE"))?;
    Filter::new(name.trim(), value.trim()).map_err(|e| e.to_string())
}

fn index_command(args: IndexArgs) -> anyhow::Result<ExitCode> {
    let corpus = args
        .source
        .corpus(args.base_url.as_deref(), &args.index_dir.index_dir)?;
    let dir = IndexDir::new(&args.index_dir.index_dir);
    let options = BuildOptions {
        urls: UrlTemplate::new(args.base_url.unwrap_or_else(|| UrlTemplate::DEFAULT.into())),
        full: args.full,
        progress: if !args.json && std::io::stderr().is_terminal() {
            Arc::new(progress::TerminalProgress::default())
        } else {
            Arc::new(crate::index::progress::Silent)
        },
        embed: args.vectors.embed_options(&args.embedder),
        ..Default::default()
    };
    if let Some(embed) = &options.embed {
        eprintln!("embedding with {}", embed.embedder.identity().recipe());
    }
    let report = index::build(&corpus, &dir, &options).with_context(|| {
        format!(
            "indexing {} into {}",
            corpus.describe(),
            dir.root().display()
        )
    })?;
    if args.json {
        emit_line(&serde_json::to_string_pretty(&report)?)?;
    } else {
        emit(&render::build_report(&report, &corpus, &dir))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn open_engine(
    dir: &IndexDirArg,
    embedder: &EmbedderArgs,
    curation: &CurationConfig,
) -> anyhow::Result<Engine> {
    let embedder = embedder
        .resolve()
        .map(|config| Arc::new(HttpEmbedder::new(config)) as Arc<dyn crate::embed::Embedder>);
    let engine = Engine::open_lazily(IndexDir::new(&dir.index_dir), embedder);
    // Problems with the curated files are logged (warnings) by load().
    engine.set_curation(curation.load());
    anyhow::ensure!(
        !engine.snapshot().locales.is_empty(),
        "no index in {}: run `kensaku index` first (add --corpus DIR for your own articles)",
        dir.index_dir.display()
    );
    Ok(engine)
}

fn search_command(args: SearchArgs) -> anyhow::Result<ExitCode> {
    let engine = open_engine(&args.index_dir, &args.embedder, &args.curation)?;
    let request = SearchRequest {
        q: args.query.join(" "),
        locale: args.locale,
        limit: args.limit,
        offset: args.offset,
        filters: args.filters,
        semantic_ratio: args.semantic_ratio,
    };
    let response = engine.search(&request)?;
    if args.json {
        emit_line(&serde_json::to_string_pretty(&response)?)?;
    } else {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        emit(&render::search_response(&response, color))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn eval_command(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let mut judgments = Vec::new();
    for file in &args.files {
        judgments.extend(eval::read_judgments(file)?);
    }
    judgments.extend(eval::cross_language(&judgments, &args.cross_language));
    let options = eval::Options {
        detect_locale: args.detect_locale,
        semantic_ratio: args.semantic_ratio,
    };
    if let Some(run) = &args.run {
        let report = eval::evaluate_run(&judgments, &eval::read_run(run)?);
        return print_report(&report, &args);
    }
    let mut engine = open_engine(&args.index_dir, &args.embedder, &args.curation)?;
    if let Some(json) = &args.ranking {
        let ranking: Ranking =
            serde_json::from_str(json).context("--ranking is not a valid ranking")?;
        engine = engine.with_ranking(ranking);
    }
    if let (Some(folds), Some(grid)) = (args.folds, &args.grid) {
        let grid = read_grid(grid)?;
        let cv = eval::cross_validate(&mut engine, &judgments, &grid, folds, options)?;
        if args.json {
            emit_line(&serde_json::to_string_pretty(&cv)?)?;
        } else {
            emit(&cv.table())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = eval::evaluate(&engine, &judgments, options)?;
    print_report(&report, &args)
}

/// `--grid`: a JSON array of ranking overrides, inline or in a file.
fn read_grid(grid: &str) -> anyhow::Result<Vec<(String, Ranking)>> {
    let text = match std::fs::read_to_string(grid) {
        Ok(text) => text,
        Err(_) => grid.to_string(),
    };
    let items: Vec<serde_json::Value> =
        serde_json::from_str(&text).context("--grid is not a JSON array of rankings")?;
    items
        .into_iter()
        .map(|item| {
            let name = item.to_string();
            let ranking = serde_json::from_value(item)
                .with_context(|| format!("--grid: {name} is not a ranking"))?;
            Ok((name, ranking))
        })
        .collect()
}

fn print_report(report: &eval::Report, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    if args.json {
        emit_line(&serde_json::to_string_pretty(report)?)?;
    } else {
        emit(&report.table())?;
        if args.misses {
            emit(&render::misses(report))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn export_command(args: ExportArgs) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    let corpus = args
        .source
        .corpus(args.base_url.as_deref(), &args.index_dir.index_dir)?;
    let listing = corpus.list(&|_| None)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let urls = UrlTemplate::new(args.base_url.unwrap_or_else(|| UrlTemplate::DEFAULT.into()));
    let site = corpus.site_options();
    for entry in &listing.documents {
        let parsed = entry
            .read_limited(crate::article::DEFAULT_MAX_ARTICLE_BYTES)
            .and_then(|bytes| {
                entry
                    .parse(&bytes, &urls, &site)
                    .map_err(|e| entry.skipped(e.to_string()))
            })
            .map(|parsed| {
                (args.locale.is_none() || args.locale.as_ref() == Some(&parsed.article.locale))
                    .then_some(parsed)
            });
        match parsed {
            Ok(None) => {}
            Ok(Some(parsed)) => {
                serde_json::to_writer(&mut out, &parsed.article)?;
                out.write_all(b"\n")?;
            }
            Err(skip) => eprintln!("skipped {}: {}", skip.path, skip.reason),
        }
    }
    for s in listing.skipped {
        eprintln!("skipped {}: {}", s.path, s.reason);
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn analytics_command(args: AnalyticsArgs) -> anyhow::Result<ExitCode> {
    use crate::analytics::store::{Location, ReportFilter, ReportKind};
    let location = match &args.analytics_url {
        Some(url) => Location::Postgres(url.clone()),
        None => {
            let dir = args
                .analytics_dir
                .clone()
                .unwrap_or_else(|| crate::analytics::default_dir(&args.index_dir.index_dir));
            anyhow::ensure!(
                dir.join(crate::analytics::sqlite::FILE_NAME).is_file(),
                "no analytics database in {} (kensaku serve records one; --analytics-dir, or --analytics-url)",
                dir.display()
            );
            Location::Sqlite(dir)
        }
    };
    let kind = match args.report {
        AnalyticsReport::TopQueries => ReportKind::TopQueries,
        AnalyticsReport::NoResults => ReportKind::NoResults,
        AnalyticsReport::NoClicks => ReportKind::NoClicks,
        AnalyticsReport::ClickThrough => ReportKind::ClickThrough,
        AnalyticsReport::Daily => ReportKind::Daily,
    };
    let filter = ReportFilter {
        locale: args.locale.as_ref().map(|l| l.to_string()),
        from: args.from.clone(),
        to: args.to.clone(),
        limit: args.limit.max(1),
    };
    let report = location.open()?.report(kind, &filter)?;
    if args.json {
        emit_line(&serde_json::to_string_pretty(&report)?)?;
    } else {
        emit(&render::analytics(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn analyze_command(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let text = args.text.join(" ");
    let mut analyzer = analysis::build(args.locale.language());
    let mut out = String::new();
    for token in analysis::analyze(&mut analyzer, &text) {
        let _ = writeln!(
            out,
            "{:>3}  {:<20} {:>4}..{:<4} {}",
            token.position,
            token.text,
            token.offset_from,
            token.offset_to,
            &text[token.offset_from..token.offset_to]
        );
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
