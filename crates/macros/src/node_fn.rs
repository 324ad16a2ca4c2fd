//! Expansion of `#[node("kind")]` on an `async fn(input: In) -> Result<Out, E>` or an
//! `async fn(input: In, config: Cfg) -> Result<Out, E>`, either with a last argument
//! `ctx: &NodeContext` if the function wants its execution's context (to emit events, read
//! its attempt or idempotency key): the function unchanged, a type of the same name (in the
//! type namespace) implementing `Node`, `NodeKind` and `RegisteredKind`, and one element of
//! the node-kind distributed slice.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::quote;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, LitStr, PathArguments, ReturnType, Type};

/// How the function takes its configuration.
enum Config<'a> {
    /// One argument: no configuration.
    None,
    /// `config: Cfg`: cloned for every execution.
    ByValue(&'a Type),
    /// `config: &Cfg`: borrowed from the node.
    ByRef(&'a Type),
}

/// The types of the function's signature that generated code names.
struct Signature<'a> {
    input: &'a Type,
    config: Config<'a>,
    /// Whether a last argument `&NodeContext` takes the execution's context.
    context: bool,
    /// The whole return type, `Result<Out, E>`.
    returns: &'a Type,
    output: &'a Type,
    error: Option<&'a Type>,
}

const SHAPE: &str = "write `async fn name(input: In) -> Result<Out, E>` or `async fn name(input: In, config: Cfg) -> Result<Out, E>`, with a last argument `ctx: &NodeContext` if it needs its context";

fn parse(f: &ItemFn) -> syn::Result<Signature<'_>> {
    let sig = &f.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            sig.fn_token,
            format!("#[node] on a function needs an `async fn`: nodes run asynchronously; {SHAPE}"),
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        return Err(syn::Error::new_spanned(
            unsafety,
            "#[node] cannot be used on an `unsafe fn`: the engine calls it with no safety contract",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "#[node] cannot be used on a generic function: the registry makes one concrete node type per kind",
        ));
    }
    if let Some(clause) = &sig.generics.where_clause {
        return Err(syn::Error::new_spanned(
            clause,
            "#[node] cannot be used on a generic function: the registry makes one concrete node type per kind",
        ));
    }
    let mut types = Vec::with_capacity(2);
    let mut context = false;
    let last = sig.inputs.len().saturating_sub(1);
    for (position, arg) in sig.inputs.iter().enumerate() {
        match arg {
            FnArg::Receiver(receiver) => {
                return Err(syn::Error::new_spanned(
                    receiver,
                    format!(
                        "#[node] applies to a free function, not a method: a node function takes no `self`; {SHAPE}"
                    ),
                ));
            }
            FnArg::Typed(typed) if position > 0 && is_context(&typed.ty) => {
                if position != last {
                    return Err(syn::Error::new_spanned(
                        arg,
                        format!(
                            "a #[node] function takes its context as its last argument; {SHAPE}"
                        ),
                    ));
                }
                context = true;
            }
            FnArg::Typed(_) if position >= 2 => {
                return Err(syn::Error::new_spanned(
                    arg,
                    format!(
                        "a #[node] function takes its input and, optionally, its config: at most two arguments besides a `&NodeContext`; {SHAPE}"
                    ),
                ));
            }
            FnArg::Typed(typed) => {
                if let Type::ImplTrait(_) = &*typed.ty {
                    return Err(syn::Error::new_spanned(
                        &typed.ty,
                        "#[node] cannot be used on a generic function: name a concrete type instead of `impl Trait`",
                    ));
                }
                types.push(&*typed.ty);
            }
        }
    }
    let input = match types.first() {
        Some(input) => *input,
        None => {
            return Err(syn::Error::new(
                sig.paren_token.span.join(),
                format!("a #[node] function takes its input as its first argument; {SHAPE}"),
            ));
        }
    };
    let config = match types.get(1) {
        None => Config::None,
        Some(Type::Reference(reference)) => {
            if let Some(mutability) = &reference.mutability {
                return Err(syn::Error::new_spanned(
                    mutability,
                    "a #[node] function's config is shared by its executions: take it as `&Cfg` or `Cfg`, not `&mut Cfg`",
                ));
            }
            Config::ByRef(&reference.elem)
        }
        Some(config) => Config::ByValue(config),
    };
    let returns = match &sig.output {
        ReturnType::Type(_, returns) => &**returns,
        ReturnType::Default => {
            return Err(syn::Error::new(
                sig.paren_token.span.close(),
                format!(
                    "a #[node] function returns `Result<Out, E>`: its output, or why it failed; {SHAPE}"
                ),
            ));
        }
    };
    let (output, error) = result_types(returns).ok_or_else(|| {
        syn::Error::new_spanned(
            returns,
            format!("a #[node] function returns `Result<Out, E>`, with `Out: Serialize` as the node's output; {SHAPE}"),
        )
    })?;
    Ok(Signature {
        input,
        config,
        context,
        returns,
        output,
        error,
    })
}

/// Whether `ty` is `&NodeContext` (by any path that ends in `NodeContext`).
fn is_context(ty: &Type) -> bool {
    let Type::Reference(reference) = ty else {
        return false;
    };
    let Type::Path(path) = &*reference.elem else {
        return false;
    };
    reference.mutability.is_none()
        && path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "NodeContext" && last.arguments.is_empty())
}

/// `Out` and `E` of `Result<Out, E>`, or `Out` of an alias `Result<Out>` (`io::Result`,
/// `anyhow::Result`).
fn result_types(returns: &Type) -> Option<(&Type, Option<&Type>)> {
    let Type::Path(path) = returns else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    let output = types.next()?;
    let error = types.next();
    match types.next() {
        None => Some((output, error)),
        Some(_) => None,
    }
}

pub(crate) fn expand(
    private: &TokenStream,
    name: &LitStr,
    site: &TokenStream,
    description: &str,
    f: &ItemFn,
) -> syn::Result<TokenStream> {
    let sig = parse(f)?;
    let ident = &f.sig.ident;
    let vis = &f.vis;
    let linkme = quote!(#private::linkme);
    let element = syn::Ident::new(
        &format!(
            "__NADOO_FLOW_NODE_KIND_{}",
            ident.unraw().to_string().to_uppercase()
        ),
        ident.span(),
    );

    let input = sig.input;
    let read_input = at(
        input.span(),
        quote!(#private::typed::read_input::<#input>(#name, context)?),
    );
    let (config_ty, config_arg) = match sig.config {
        Config::None => (quote!(#private::NoConfig), quote!()),
        Config::ByRef(config) => (quote!(#config), quote!(, &self.config)),
        Config::ByValue(config) => {
            let arg = at(
                config.span(),
                quote!(#private::typed::config_by_value::<#config>(&self.config)),
            );
            (quote!(#config), quote!(, #arg))
        }
    };
    let context_arg = if sig.context {
        quote!(, context)
    } else {
        quote!()
    };
    let error_span = sig.error.map_or_else(|| sig.returns.span(), Spanned::span);
    let fail = at(error_span, quote!(#private::typed::fail(result)?));
    let output = sig.output;
    let write_output = at(
        output.span(),
        quote!(#private::typed::write_output::<#output>(#name, context, &output)),
    );

    let kind = name.value();
    let struct_doc = format!(
        "Node kind `{kind}`, run by the function `{ident}`: make a node of it with `{ident}::spec`, or by name from a workflow file."
    );
    let spec = match sig.config {
        Config::None => {
            let doc = format!(
                "A node `id` of kind `{kind}`: it records its kind, so remote workers can make it."
            );
            quote! {
                #[doc = #doc]
                #vis fn spec(id: impl ::core::convert::Into<#private::NodeId>) -> #private::NodeSpec {
                    #private::NodeSpec::new(id, #ident { config: #private::NoConfig {} })
                        .with_kind(#name, #private::Value::Null)
                }
            }
        }
        Config::ByRef(_) | Config::ByValue(_) => {
            let doc = format!(
                "A node `id` of kind `{kind}` made from `config` through the registry: it records its kind and configuration, so remote workers can make it.\n\n# Errors\n\nThe registry's, when `config` does not read as the function's config."
            );
            quote! {
                #[doc = #doc]
                #vis fn spec(
                    id: impl ::core::convert::Into<#private::NodeId>,
                    config: impl #private::serde::Serialize,
                ) -> #private::Result<#private::NodeSpec> {
                    #private::NodeSpec::of::<Self>(id, config)
                }
            }
        }
    };

    Ok(quote! {
        #f

        #[doc = #struct_doc]
        #[allow(
            non_camel_case_types,
            reason = "named after its function, so that `function::spec(..)` makes its node"
        )]
        #vis struct #ident {
            config: #config_ty,
        }

        #[#linkme::distributed_slice(#private::NODE_KINDS)]
        #[linkme(crate = #linkme)]
        #[doc(hidden)]
        static #element: #private::NodeKindRegistration =
            #private::NodeKindRegistration::of::<#ident>(#name, #site, #description);

        const _: () = {
            impl ::core::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(::core::stringify!(#ident)).finish_non_exhaustive()
                }
            }

            impl #private::NodeKind for #ident {
                type Config = #config_ty;
                fn from_config(
                    config: #config_ty,
                ) -> ::core::result::Result<Self, #private::BoxError> {
                    ::core::result::Result::Ok(#ident { config })
                }
            }

            impl #private::RegisteredKind for #ident {
                const KIND: &'static str = #name;
            }

            #[#private::async_trait]
            impl #private::Node for #ident {
                async fn execute(
                    &self,
                    context: &#private::NodeContext,
                ) -> ::core::result::Result<#private::NodeResult, #private::BoxError> {
                    let input = #read_input;
                    let result = #ident(input #config_arg #context_arg).await;
                    let output = #fail;
                    #write_output
                }

                fn kind(&self) -> &'static str {
                    #name
                }
            }

            impl #ident {
                #spec
            }
        };
    })
}

/// `tokens`, every one of them located at `span` so that a trait-bound error in them points
/// at the user's type, and resolved as the macro's own tokens are.
fn at(span: Span, tokens: TokenStream) -> TokenStream {
    let span = Span::call_site().located_at(span);
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut spanned = Group::new(group.delimiter(), at(span, group.stream()));
                spanned.set_span(span);
                TokenTree::Group(spanned)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}
