//! Starts authlab: parse the settings, set up logging, build the application, serve.
//!
//! A configuration or environment problem (a bad flag, a port in use, a database that cannot be
//! used) ends the process with one line on stderr and exit status 2, never a backtrace.

use std::process::ExitCode;

use authlab::config::Settings;
use authlab::startup::Application;
use clap::Parser;
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> ExitCode {
    let settings = Settings::parse();
    // Log lines go through a bounded queue to a writer thread: a reader of stdout that stops
    // reading costs dropped (and counted) lines, never a blocked worker.
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(16 * 1024)
        .finish(std::io::stdout());
    let dropped = writer.error_counter();
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let host = settings.bind.ip();
    let lab = settings.lab_enabled();
    let public = settings.public_url.clone();
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("authlab: {e:#}");
            return ExitCode::from(2);
        }
    };
    let url = public.unwrap_or_else(|| format!("http://{host}:{}", app.port()));
    println!(
        "authlab is serving on {url}  (lab controls: {})",
        if lab { "on" } else { "off" }
    );
    if lab {
        match app.generated_instructor_secret() {
            Some(secret) => println!(
                "instructor page: {url}/instructor  secret: {secret}  (printed once; --instructor-secret or AUTHLAB_INSTRUCTOR_SECRET sets your own)"
            ),
            None => println!("instructor page: {url}/instructor  (the secret you gave)"),
        }
        if let Some(port) = app.another_site_port() {
            println!(
                "another site, for the CSRF challenge: http://{host}:{port}  (another origin on this machine)"
            );
        }
    }
    let served = app.run_until_stopped().await;
    if dropped.dropped_lines() > 0 {
        eprintln!(
            "authlab: {} log lines were dropped because stdout was not being read",
            dropped.dropped_lines()
        );
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("authlab: {e}");
            ExitCode::FAILURE
        }
    }
}
