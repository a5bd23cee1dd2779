//! Rebuild when a catalog changes: rust-i18n reads `locales/` at compile time.
fn main() {
    println!("cargo:rerun-if-changed=locales");
}
