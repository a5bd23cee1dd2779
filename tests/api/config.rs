//! Start-up settings: secrets generated once and kept, short secrets refused with a clear message.

use authlab::config::{Secret, Settings};
use authlab::startup::Application;

fn fresh_settings(dir: &tempfile::TempDir) -> Settings {
    Settings::for_tests(dir.path().join("authlab.sqlite3"))
}

#[actix_web::test]
async fn generated_keys_are_kept_across_a_restart() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let first = Application::build(fresh_settings(&dir))
        .await
        .expect("builds");
    let keys = first.state().keys();
    drop(first);
    let second = Application::build(fresh_settings(&dir))
        .await
        .expect("builds");
    assert_eq!(second.state().keys().jwt.as_bytes(), keys.jwt.as_bytes());
    assert_eq!(second.state().keys().csrf, keys.csrf);
    assert_eq!(
        second.state().keys().login_seal.master(),
        keys.login_seal.master()
    );
    assert!(keys.jwt.as_bytes().len() >= 32);
}

#[actix_web::test]
async fn a_short_secret_is_refused_with_a_message_naming_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    type Adjust = fn(&mut Settings);
    let cases: [(&str, Adjust); 3] = [
        ("AUTHLAB_JWT_SECRET", |s| {
            s.jwt_secret = Some(Secret::from_bytes(b"too short".to_vec()))
        }),
        ("AUTHLAB_COOKIE_KEY", |s| {
            s.cookie_key = Some(Secret::from_bytes(vec![b'k'; 32]))
        }),
        ("AUTHLAB_CSRF_KEY", |s| {
            s.csrf_key = Some(Secret::from_bytes(b"short".to_vec()))
        }),
    ];
    for (name, adjust) in cases {
        let mut settings = fresh_settings(&dir);
        adjust(&mut settings);
        let err = Application::build(settings).await.err().expect("refused");
        assert!(format!("{err:#}").contains(name), "{name}: {err:#}");
    }
}

#[actix_web::test]
async fn given_secrets_are_used_as_given() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut settings = fresh_settings(&dir);
    settings.jwt_secret = Some(Secret::from_bytes(
        b"a-django-style-secret-key-of-40-chars!!!".to_vec(),
    ));
    let app = Application::build(settings).await.expect("builds");
    assert_eq!(
        app.state().keys().jwt.as_bytes(),
        b"a-django-style-secret-key-of-40-chars!!!"
    );
}

#[test]
fn help_documents_every_option() {
    use clap::CommandFactory;
    let help = Settings::command().render_long_help().to_string();
    for option in [
        "--bind",
        "--db",
        "--no-demo-users",
        "--lab",
        "--no-lab",
        "--public-url",
        "--access-ttl",
        "--refresh-ttl",
        "--session-idle",
        "--session-max",
        "--cookie-max-age",
        "--login-throttle",
        "AUTHLAB_COOKIE_KEY",
        "AUTHLAB_JWT_SECRET",
        "AUTHLAB_CSRF_KEY",
    ] {
        assert!(help.contains(option), "{option} is documented");
    }
}

#[test]
fn lab_controls_are_on_everywhere_with_private_labs_and_only_on_loopback_with_one_shared_lab() {
    let loopback = Settings::for_tests("x.sqlite3");
    assert!(loopback.lab_enabled() && loopback.private_labs());
    let mut public = Settings::for_tests("x.sqlite3");
    public.bind = "0.0.0.0:8080".parse().expect("an address");
    assert!(
        public.lab_enabled(),
        "each learner's actions change only their lab"
    );
    let mut proxied = Settings::for_tests("x.sqlite3");
    proxied.public_url = Some("https://authlab.example".into());
    assert!(proxied.lab_enabled());

    // One lab for everyone: the old rule, since one person's actions reach everybody.
    for settings in [&mut public, &mut proxied] {
        settings.shared_lab = true;
        assert!(!settings.private_labs());
        assert!(
            !settings.lab_enabled(),
            "a shared lab on a reachable address: off unless asked"
        );
        settings.lab = true;
        assert!(settings.lab_enabled());
    }
    let mut off = Settings::for_tests("x.sqlite3");
    off.no_lab = true;
    assert!(
        !off.lab_enabled() && !off.private_labs(),
        "--no-lab turns every lab off"
    );
}

#[test]
fn https_public_url_makes_cookies_secure() {
    let mut settings = Settings::for_tests("x.sqlite3");
    assert!(!settings.secure_cookies());
    settings.public_url = Some("https://authlab.example".into());
    assert!(settings.secure_cookies());
}
