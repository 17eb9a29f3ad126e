//! Per-client rate limiting: a keyed GCRA limiter (`governor`) in front of
//! every route, answering 429 with `Retry-After` and a JSON error.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use super::error::ErrorBody;

/// Who a request is from: the peer's address, or, when the peer is a trusted
/// proxy, the right-most `X-Forwarded-For` entry that is not one (entries
/// left of it are whatever the client chose to send).
#[derive(Clone, Debug)]
pub struct ClientAddress {
    trusted_proxies: Arc<[IpNet]>,
}

impl ClientAddress {
    pub fn new(trusted_proxies: &[IpNet]) -> ClientAddress {
        ClientAddress {
            trusted_proxies: trusted_proxies.into(),
        }
    }

    pub fn client_of(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        forwarded_for
            .into_iter()
            .flat_map(|header| header.rsplit(','))
            .map_while(|entry| entry.trim().parse::<IpAddr>().ok())
            .find(|ip| !trusted(ip))
            .unwrap_or(peer)
    }

    fn of(&self, request: &ServiceRequest) -> Option<IpAddr> {
        let peer = request.peer_addr()?.ip();
        let forwarded_for = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Some(self.client_of(peer, forwarded_for))
    }
}

/// The limiter shared by the server's workers.
pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clients: ClientAddress,
}

impl RateLimit {
    /// `None` when `per_second` is 0 (no limit).
    pub fn new(per_second: u64, burst: u32, clients: ClientAddress) -> Option<Arc<RateLimit>> {
        let rate = NonZeroU32::new(u32::try_from(per_second).unwrap_or(u32::MAX))?;
        let burst = NonZeroU32::new(burst).unwrap_or(rate);
        let limiter = RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst));
        let limit = Arc::new(RateLimit { limiter, clients });
        // Forget clients whose allowance is full again, so that the table
        // holds only recent clients however many come and go.
        let weak = Arc::downgrade(&limit);
        std::thread::Builder::new()
            .name("kensaku-rate-limit".into())
            .spawn(move || {
                while let Some(limit) = weak.upgrade() {
                    limit.limiter.retain_recent();
                    limit.limiter.shrink_to_fit();
                    drop(limit);
                    std::thread::sleep(Duration::from_secs(30));
                }
            })
            .expect("spawn the rate-limit sweeper");
        Some(limit)
    }

    /// `Err(wait)` when the request's client is over its allowance.
    fn check(&self, request: &ServiceRequest) -> Result<(), Duration> {
        let Some(client) = self.clients.of(request) else {
            return Ok(());
        };
        self.limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The middleware (`from_fn`): requests over the limit get 429. The limiter
/// is the app data `Option<Arc<RateLimit>>` (`None`: no limit).
pub async fn limit(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let over = request
        .app_data::<Option<Arc<RateLimit>>>()
        .and_then(Option::as_ref)
        .and_then(|limit| limit.check(&request).err());
    let Some(wait) = over else {
        return Ok(next.call(request).await?.map_into_left_body());
    };
    let response = HttpResponse::TooManyRequests()
        .insert_header(("Retry-After", wait.as_secs().max(1).to_string()))
        .json(ErrorBody {
            error: "rate_limited",
            message: format!("too many requests; retry in {} ms", wait.as_millis().max(1)),
        });
    Ok(request.into_response(response).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let clients = ClientAddress::new(&["10.0.0.0/8".parse().unwrap()]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // A client talking directly cannot choose its key.
        assert_eq!(
            clients.client_of(ip("203.0.113.9"), Some("1.2.3.4")),
            ip("203.0.113.9")
        );
        // Behind the proxy: the address the proxy saw, not what the client claimed.
        assert_eq!(
            clients.client_of(ip("10.0.0.2"), Some("1.2.3.4, 198.51.100.7")),
            ip("198.51.100.7")
        );
        assert_eq!(
            clients.client_of(ip("10.0.0.2"), Some("198.51.100.7, 10.0.0.3")),
            ip("198.51.100.7")
        );
        assert_eq!(
            clients.client_of(ip("10.0.0.2"), Some("garbage")),
            ip("10.0.0.2")
        );
        assert_eq!(clients.client_of(ip("10.0.0.2"), None), ip("10.0.0.2"));
    }

    #[test]
    fn no_limit_at_zero() {
        assert!(RateLimit::new(0, 10, ClientAddress::new(&[])).is_none());
        assert!(RateLimit::new(5, 10, ClientAddress::new(&[])).is_some());
    }
}
