//! Starts authlab: parse the settings, set up logging, build the application, serve.

use authlab::config::Settings;
use authlab::startup::Application;
use clap::Parser;
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let host = settings.bind.ip();
    let lab = settings.lab_enabled();
    let public = settings.public_url.clone();
    let app = Application::build(settings).await?;
    let url = public.unwrap_or_else(|| format!("http://{host}:{}", app.port()));
    println!(
        "authlab is serving on {url}  (lab controls: {})",
        if lab { "on" } else { "off" }
    );
    app.run_until_stopped().await?;
    Ok(())
}
