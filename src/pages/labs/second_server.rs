//! The second-server lab: a second authlab in this process, with its own empty database and only
//! the JWT secret in common; every credential made here is replayed there, and only the JWT's
//! claims pass.

use actix_web::{HttpResponse, web};
use rand::Rng;
use serde_json::json;

use crate::db::Db;
use crate::pages::labs::agent::{Agent, Column};
use crate::pages::labs::matrix::{cell, forget, throwaway};
use crate::state::AppState;
use crate::web::error::AppError;

/// `POST /lab/second-server`: logs a throwaway user in to every scheme here, starts a second
/// authlab with its own empty database that shares only the JWT secret, and replays each
/// credential there. Only what the key alone can check passes: the JWT's claims. `/jwt/api/me`
/// fails for want of the user row, which lives in the first server's database.
pub async fn second_server(
    db: Db,
    state: web::Data<AppState>,
    _json_only: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    // One second server at a time: each runs its own workers.
    static RUNNING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = RUNNING.lock().await;
    let user = throwaway(&db, &state, "second").await?;
    let agent = Agent::new(&state);
    let result = async {
        let creds = agent.login_everywhere(&user.email, &user.password).await?;
        let second = SecondServer::start(&state).await?;
        let there = agent.toward(second.address);
        let replayed = async {
            let mut cells = Vec::new();
            for column in Column::ALL {
                cells.push(cell(column, &there.replay(column, &creds).await?));
            }
            let claims = there
                .get(
                    "/jwt/api/claims",
                    &[("Authorization", &format!("Bearer {}", creds.access))],
                )
                .await?;
            anyhow::Ok((cells, cell(Column::JwtAccess, &claims)))
        }
        .await;
        drop(second);
        let (cells, claims) = replayed.map_err(AppError::Internal)?;
        Ok::<_, AppError>(json!({
            "second_server": { "shares": ["jwt_secret"], "users": 0 },
            "cells": cells,
            "claims": claims,
        }))
    }
    .await;
    forget(&db, &user).await?;
    Ok(HttpResponse::Ok().json(result?))
}

/// A second authlab in this process: its own database file, no demo users, no labs, and this
/// server's JWT secret — nothing else in common. Dropping it stops it and deletes its database,
/// however the lab ended (finished, failed, or its request dropped midway).
struct SecondServer {
    address: std::net::SocketAddr,
    handle: actix_web::dev::ServerHandle,
    _db: TempDatabase,
}

impl SecondServer {
    async fn start(state: &AppState) -> Result<SecondServer, AppError> {
        let mut tag = [0u8; 8];
        rand::rng().fill_bytes(&mut tag);
        let db = TempDatabase(std::env::temp_dir().join(format!(
            "authlab-second-server-{}.sqlite3",
            crate::web::hex(&tag)
        )));
        let mut settings = (*state.settings).clone();
        settings.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        settings.db = db.0.clone();
        settings.no_demo_users = true;
        settings.lab = false;
        settings.no_lab = true;
        settings.public_url = None;
        settings.cookie_key = None;
        settings.csrf_key = None;
        settings.jwt_secret = Some(crate::config::Secret::from_bytes(
            state.keys().jwt.as_bytes().to_vec(),
        ));
        let peer = (state.launch_peer)(settings)
            .await
            .map_err(AppError::Internal)?;
        Ok(SecondServer {
            address: peer.address,
            handle: peer.handle,
            _db: db,
        })
    }
}

impl Drop for SecondServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

/// A database file (and its WAL companions) deleted when dropped.
struct TempDatabase(std::path::PathBuf);

impl Drop for TempDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}
