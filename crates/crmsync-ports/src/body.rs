//! Reading an HTTP response body under a size cap, written once for every HTTP adapter (feature `http`).
//!
//! A body announced (`Content-Length`) or streamed past the cap is not read further, so a misbehaving server or
//! proxy cannot make a client hold an unbounded answer in memory.

/// Why a capped body was not read to the end.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is longer than the cap.
    #[error("the response body exceeds the {limit}-byte limit")]
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// The connection broke or timed out while the body was read.
    #[error("the response body was cut off")]
    Transport(#[source] reqwest::Error),
}

/// The body of `response`, at most `limit` bytes; a longer one is [`BodyError::TooLarge`].
pub async fn read_capped(
    response: &mut reqwest::Response,
    limit: u64,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        let length = u64::try_from(body.len() + chunk.len()).unwrap_or(u64::MAX);
        if length > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
