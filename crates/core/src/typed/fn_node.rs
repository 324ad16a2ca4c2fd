//! A node made in code from an async closure: `NodeSpec::from_fn`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::NodeContext;
use crate::error::BoxError;
use crate::node::Node;
use crate::result::NodeResult;

/// A closure run as a node: its input read as `In`, its output written from `Out`.
pub(crate) struct FnNode<F, In, Fut> {
    /// `fn:<id>`: what errors name as the node's kind, since it has no registered one.
    kind: Box<str>,
    function: F,
    types: PhantomData<fn(In) -> Fut>,
}

impl<F, In, Fut> FnNode<F, In, Fut> {
    pub(crate) fn new(kind: Box<str>, function: F) -> Self {
        FnNode {
            kind,
            function,
            types: PhantomData,
        }
    }
}

impl<F, In, Fut> fmt::Debug for FnNode<F, In, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnNode")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<F, In, Fut, Out, E> Node for FnNode<F, In, Fut>
where
    F: Fn(In) -> Fut + Send + Sync + 'static,
    In: DeserializeOwned + 'static,
    Fut: Future<Output = Result<Out, E>> + Send + 'static,
    Out: Serialize,
    E: Into<BoxError>,
{
    async fn execute(&self, context: &NodeContext) -> Result<NodeResult, BoxError> {
        let input = super::read_input::<In>(&self.kind, context)?;
        let output = (self.function)(input).await.map_err(Into::into)?;
        Ok(super::write_output(&self.kind, context, &output)?)
    }

    /// `"fn"`: a closure has no registered kind (its node's spec records `fn:<id>`).
    fn kind(&self) -> &'static str {
        "fn"
    }
}
