//! Media anchored in the server: G.711, RTP, SDP, prompts and the relay.

pub mod g711;
pub mod prompts;
pub mod reception;
pub mod relay;
pub mod rtp;
pub mod sdp;
pub mod wav;
