//! Invites on Matrix: joined when they come from a listed room, server or
//! moderator (with retries), declined otherwise, and the ones that came
//! while the bot was away handled at start.

use super::*;
use crate::adapters::Backoff;
use matrix_sdk::ruma::UserId;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::{Client, Room};
use std::sync::Arc;

impl State {
    /// Joins invites from allowed rooms, servers or moderators; declines others.
    pub(super) async fn on_invite(&self, ev: StrippedRoomMemberEvent, room: Room) {
        if ev.state_key != self.me || ev.content.membership != MembershipState::Invite {
            return;
        }
        self.consider_invite(room, &ev.sender).await;
    }

    /// Invites that came while the bot was away: the sync that caught up
    /// ran before any handler existed.
    pub(super) async fn invites_while_away(self: Arc<Self>, client: &Client) {
        for room in client.invited_rooms() {
            match room.invite_details().await {
                Ok(invite) => {
                    let state = self.clone();
                    tokio::spawn(async move { state.consider_invite(room, &invite.inviter_id).await });
                }
                Err(e) => tracing::warn!(room = %room.room_id(), error = %e, "cannot read a pending invite"),
            }
        }
    }

    pub(super) async fn consider_invite(&self, room: Room, inviter: &UserId) {
        let allowed = self.cfg.invite_rooms.iter().any(|r| r == room.room_id().as_str())
            || self.cfg.invite_servers.iter().any(|s| s == inviter.server_name().as_str())
            || self.bot.moderators().matrix_users.iter().any(|m| m == inviter.as_str());
        if !allowed {
            // At warn: the operator who invited the bot from a server not on
            // the list must see why nothing happened.
            tracing::warn!(
                room = %room.room_id(),
                inviter = %inviter,
                "invite declined: not from a room, server or moderator in [matrix] invite_rooms, invite_servers or moderators"
            );
            if let Err(e) = room.leave().await {
                tracing::warn!(error = %e, "cannot decline the invite");
            }
            return;
        }
        let mut backoff = Backoff::default();
        for _ in 0..6 {
            match room.join().await {
                Ok(()) => {
                    tracing::info!(room = %room.room_id(), inviter = %inviter, "joined");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, room = %room.room_id(), "cannot join yet; retrying");
                    backoff.wait().await;
                }
            }
        }
    }
}
