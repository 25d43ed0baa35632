//! The HTTP client every AWS SDK client of mlform is built on: the SDK's default (rustls,
//! proxy settings from the environment) with one change to name resolution: `localhost`
//! and every name under `.localhost` are the loopback addresses, as RFC 6761 (section
//! 6.3) lets applications assume and as curl and browsers do. Services that put a label in
//! front of the endpoint's host name (S3 Control's account ID) then reach an endpoint
//! given as `http://localhost:PORT`; every other name goes to the system resolver.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime::client::dns::TokioDnsResolver;
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Whether `host` is `localhost` or a name under it (case-insensitive, a final dot allowed).
pub fn is_localhost_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// Loopback for localhost names, the system resolver for the rest.
#[derive(Debug, Clone, Default)]
struct LocalhostAware {
    system: TokioDnsResolver,
}

impl ResolveDns for LocalhostAware {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        if is_localhost_name(name) {
            return DnsFuture::ready(Ok(vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]));
        }
        self.system.resolve_dns(name)
    }
}

/// The SDK's configuration loader every AWS client of mlform starts from (provider,
/// state backend, key provider, registry login): the latest behaviour version over
/// [`client`].
pub fn sdk_defaults() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(client())
}

/// The shared client: the SDK's default HTTPS client with [`LocalhostAware`] resolution.
pub fn client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build_with_resolver(LocalhostAware::default())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_names_are_recognized() {
        for name in [
            "localhost",
            "LocalHost.",
            "123456789012.localhost",
            "a.b.localhost",
        ] {
            assert!(is_localhost_name(name), "{name}");
        }
        for name in [
            "localhost.example.com",
            "mylocalhost",
            "127.0.0.1",
            "s3.amazonaws.com",
        ] {
            assert!(!is_localhost_name(name), "{name}");
        }
    }

    #[tokio::test]
    async fn a_name_under_localhost_resolves_to_loopback() {
        let ips = LocalhostAware::default()
            .resolve_dns("123456789012.localhost")
            .await
            .unwrap();
        assert!(ips.iter().all(IpAddr::is_loopback), "{ips:?}");
        assert_eq!(ips[0], IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
}
