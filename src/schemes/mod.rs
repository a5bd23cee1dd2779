//! The four rooms — `cookie`, `session`, `token`, `jwt` — and what they share: the [`scheme::Scheme`]
//! names, the cookie/session login flow (`identity`), the `/api/me` resource (`api_user`), the
//! panels, and DRF's default authentication chain (`drf_default`, the only module naming two
//! rooms). Rooms never import each other.

pub mod api_user;
pub mod cookie;
pub mod drf_default;
pub mod identity;
pub mod jwt;
pub mod panels;
pub mod scheme;
pub mod session;
pub mod token;
