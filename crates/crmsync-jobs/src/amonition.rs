//! AMONITION, the marketplace's amoCRM service: sellers uploaded as companies, and amoCRM's webhook events
//! handled through a durable inbox.
//!
//! - [`plan`]: the pure part of an upload batch — which sellers get a new company, which an update.
//! - [`upload`]: the scheduled upload: stream sellers, enrich from the feed service, one link lookup per batch,
//!   create and update companies, write links as soon as amoCRM answers; crash-safe through create intents.
//! - [`events`]: routing of webhook events (profile transfer, company refresh, feed upload) and their handlers.
//! - [`inbox`]: a worker pass over the inbox: claim, handle, complete, retry with backoff, dead-letter.

pub mod events;
pub mod inbox;
pub mod plan;
pub mod upload;

#[cfg(test)]
mod tests;
