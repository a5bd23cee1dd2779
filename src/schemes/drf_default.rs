//! DRF's `DEFAULT_AUTHENTICATION_CLASSES = [JWTAuthentication, TokenAuthentication]`, as the
//! reference project sets it: the only module that names two rooms. Views that keep the default
//! classes (the token login, logout and key views) run it through the hook
//! [`crate::web::drf::authenticate_default`]; `startup` registers [`HOOK`].

use actix_web::HttpRequest;

use crate::schemes::{jwt, token};
use crate::web::drf::{AuthenticateFuture, DefaultAuthentication};

/// DRF's default authentication chain as the hook `startup` registers for every view.
pub const HOOK: DefaultAuthentication = DefaultAuthentication(authenticate);

/// JWT, then Token: credentials are optional, but bad ones fail the request with 401 and the
/// first class's challenge, `Bearer realm="api"`.
fn authenticate(req: &HttpRequest) -> AuthenticateFuture<'_> {
    Box::pin(async move {
        if jwt::extractor::user_of(req).await?.is_some() {
            return Ok(());
        }
        token::extractor::authenticate(req, jwt::extractor::CHALLENGE)
            .await
            .map(|_| ())
    })
}
