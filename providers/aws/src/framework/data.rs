//! Data sources in the framework: typed arguments in, a typed result out. [`Data`] turns an
//! [`AwsDataSource`] into the engine's `DataSource`.

use std::sync::Arc;

use mlform_provider::{DataSource, ProviderError, Schema, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::model::{from_value, to_value};
use crate::Clients;

/// One AWS data source. `Args` holds the configured arguments (absent when null); `read`
/// returns every attribute, arguments included, as `Out`. Reads never change anything.
#[async_trait::async_trait]
pub trait AwsDataSource: Default + Send + Sync + 'static {
    type Args: DeserializeOwned + Send + Sync;
    type Out: Serialize + Send;

    const TYPE: &'static str;

    fn schema() -> Schema;

    async fn read(&self, c: &Clients, args: Self::Args) -> Result<Self::Out, ProviderError>;
}

/// Builds the engine-facing data source of `D`.
pub fn make_data<D: AwsDataSource>(clients: Arc<Clients>) -> Arc<dyn DataSource> {
    Arc::new(Data::<D> {
        clients,
        source: D::default(),
    })
}

/// An [`AwsDataSource`] seen as the engine's [`DataSource`].
pub struct Data<D: AwsDataSource> {
    clients: Arc<Clients>,
    source: D,
}

#[async_trait::async_trait]
impl<D: AwsDataSource> DataSource for Data<D> {
    fn schema(&self) -> Schema {
        D::schema()
    }

    async fn read(&self, config: &Value) -> Result<Value, ProviderError> {
        let args = from_value(D::TYPE, config)?;
        let out = self.source.read(&self.clients, args).await?;
        Ok(to_value(&D::schema(), &out))
    }
}
