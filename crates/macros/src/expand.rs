//! Expansion of `#[backend]`, `#[store]` and `#[node]` on a type: the item unchanged plus one
//! registration. `#[node]` on a function is in `node_fn`.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Item, ItemFn, ReturnType};

use crate::args::{Args, check_name};

pub(crate) fn backend(args: Args, item: Item) -> syn::Result<TokenStream> {
    check_name(&args.name, "backend name")?;
    let private = private_path(&args);
    let name = &args.name;
    let site = site(&private, name.span());

    let registration = match &item {
        Item::Struct(s) => {
            reject_generics(&s.generics, "struct", "backend")?;
            reject_capabilities(&args)?;
            registration_of(&private, &s.ident, &s.attrs, name, &site)
        }
        Item::Enum(e) => {
            reject_generics(&e.generics, "enum", "backend")?;
            reject_capabilities(&args)?;
            registration_of(&private, &e.ident, &e.attrs, name, &site)
        }
        Item::Fn(f) => registration_factory(&private, f, &args, &site)?,
        other => {
            return Err(syn::Error::new(
                item_span(other),
                "#[backend] applies to a struct, an enum, or a factory function taking the backend's configuration",
            ));
        }
    };

    Ok(quote! {
        #item
        #private::inventory::submit! { #registration }
    })
}

/// `#[store("name")]`: the item plus one `inventory::submit!` of its registration.
pub(crate) fn store(args: Args, item: Item) -> syn::Result<TokenStream> {
    check_name(&args.name, "store name")?;
    if let Some((key, _)) = &args.capabilities {
        return Err(syn::Error::new(
            key.span,
            "unknown argument `capabilities` for #[store]; expected `crate = path`",
        ));
    }
    let private = private_path(&args);
    let name = &args.name;
    let site = site(&private, name.span());
    let (ident, attrs) = match &item {
        Item::Struct(s) => {
            reject_generics(&s.generics, "struct", "store")?;
            (&s.ident, &s.attrs)
        }
        Item::Enum(e) => {
            reject_generics(&e.generics, "enum", "store")?;
            (&e.ident, &e.attrs)
        }
        other => {
            return Err(syn::Error::new(
                item_span(other),
                "#[store] applies to a struct or an enum that implements `RunStore` and `StoreType`",
            ));
        }
    };
    let description = first_doc_line(attrs);
    let ty = quote_spanned!(ident.span()=> #ident);
    Ok(quote! {
        #item
        #private::inventory::submit! {
            #private::StoreRegistration::of::<#ty>(#name, #site, #description)
        }
    })
}

/// `#[node("kind")]`: the item plus one element of the node-kind distributed slice.
pub(crate) fn node(args: Args, item: Item) -> syn::Result<TokenStream> {
    check_name(&args.name, "node kind")?;
    if let Some((key, _)) = &args.capabilities {
        return Err(syn::Error::new(
            key.span,
            "unknown argument `capabilities` for #[node]; expected `crate = path`",
        ));
    }
    let private = private_path(&args);
    let name = &args.name;
    let site = site(&private, name.span());
    let (ident, attrs) = match &item {
        Item::Struct(s) => {
            reject_generics(&s.generics, "struct", "node")?;
            (&s.ident, &s.attrs)
        }
        Item::Enum(e) => {
            reject_generics(&e.generics, "enum", "node")?;
            (&e.ident, &e.attrs)
        }
        Item::Fn(f) => {
            // On a misuse the function stays, so that its callers see one error, not two.
            let description = first_doc_line(&f.attrs);
            return Ok(
                crate::node_fn::expand(&private, name, &site, &description, f).unwrap_or_else(
                    |e| {
                        let error = e.into_compile_error();
                        quote!(#item #error)
                    },
                ),
            );
        }
        other => {
            return Err(syn::Error::new(
                item_span(other),
                "#[node] applies to a struct or an enum that implements `Node` and `NodeKind`, or to an `async fn(input: In) -> Result<Out, E>`",
            ));
        }
    };
    let description = first_doc_line(attrs);
    let ty = quote_spanned!(ident.span()=> #ident);
    let element = syn::Ident::new(
        &format!(
            "__NADOO_FLOW_NODE_KIND_{}",
            ident.to_string().to_uppercase()
        ),
        ident.span(),
    );
    let linkme = quote!(#private::linkme);
    Ok(quote! {
        #item
        #[#linkme::distributed_slice(#private::NODE_KINDS)]
        #[linkme(crate = #linkme)]
        #[doc(hidden)]
        static #element: #private::NodeKindRegistration =
            #private::NodeKindRegistration::of::<#ty>(#name, #site, #description);
        impl #private::RegisteredKind for #ident {
            const KIND: &'static str = #name;
        }
    })
}

fn private_path(args: &Args) -> TokenStream {
    let krate = match &args.krate {
        Some(path) => path.to_token_stream(),
        None => core_path(),
    };
    quote!(#krate::__private)
}

/// The path of `nadoo_flow_core` as the calling crate sees it: a direct dependency, or the
/// `nadoo-flow` facade, or the core crate itself.
fn core_path() -> TokenStream {
    let found = match crate_name("nadoo-flow-core") {
        Ok(found) => Some((found, "nadoo_flow_core")),
        Err(_) => crate_name("nadoo-flow")
            .ok()
            .map(|found| (found, "nadoo_flow")),
    };
    let name = match found {
        Some((FoundCrate::Name(name), _)) => name,
        Some((FoundCrate::Itself, own)) => own.to_owned(),
        None => "nadoo_flow_core".to_owned(),
    };
    let ident = syn::Ident::new(&name, Span::call_site());
    quote!(::#ident)
}

fn site(private: &TokenStream, span: Span) -> TokenStream {
    quote_spanned! {span=>
        #private::RegistrationSite {
            crate_name: ::core::env!("CARGO_PKG_NAME"),
            crate_version: ::core::env!("CARGO_PKG_VERSION"),
            module_path: ::core::module_path!(),
            file: ::core::file!(),
            line: ::core::line!(),
        }
    }
}

fn registration_of(
    private: &TokenStream,
    ident: &syn::Ident,
    attrs: &[Attribute],
    name: &syn::LitStr,
    site: &TokenStream,
) -> TokenStream {
    let description = first_doc_line(attrs);
    // The trait bound is checked on a path spanned at the user's type, so that a missing
    // `BackendType` impl is reported there.
    let ty = quote_spanned!(ident.span()=> #ident);
    quote! {
        #private::BackendRegistration::of::<#ty>(#name, #site, #description)
    }
}

fn registration_factory(
    private: &TokenStream,
    f: &ItemFn,
    args: &Args,
    site: &TokenStream,
) -> syn::Result<TokenStream> {
    let sig = &f.sig;
    if let Some(asyncness) = &sig.asyncness {
        return Err(syn::Error::new(
            asyncness.span,
            "a #[backend] factory must not be async: the registry constructs backends synchronously",
        ));
    }
    reject_generics(&sig.generics, "factory function", "backend")?;
    let mut inputs = sig.inputs.iter();
    let config_ty = match (inputs.next(), inputs.next()) {
        (Some(FnArg::Typed(arg)), None) => &arg.ty,
        (Some(FnArg::Receiver(receiver)), _) => {
            return Err(syn::Error::new(
                receiver.span(),
                "a #[backend] factory is a free function, not a method",
            ));
        }
        (_, Some(extra)) => {
            return Err(syn::Error::new(
                extra.span(),
                "a #[backend] factory takes exactly one argument: the backend's configuration",
            ));
        }
        (None, None) => {
            return Err(syn::Error::new(
                sig.paren_token.span.join(),
                "a #[backend] factory takes exactly one argument: the backend's configuration",
            ));
        }
    };
    if let ReturnType::Default = sig.output {
        return Err(syn::Error::new(
            sig.ident.span(),
            "a #[backend] factory returns the backend, or a Result of it",
        ));
    }
    let ident = &sig.ident;
    let name = &args.name;
    let description = first_doc_line(&f.attrs);
    let capabilities = match &args.capabilities {
        Some((_, expr)) => expr.to_token_stream(),
        None => quote!(#private::Capabilities::NONE),
    };
    let call = quote_spanned!(ident.span()=> #private::call_factory(name, config, #ident));
    Ok(quote! {
        {
            fn __nadoo_flow_construct(
                name: &'static str,
                config: #private::Value,
            ) -> #private::Result<::std::boxed::Box<dyn #private::Backend>> {
                #call
            }
            #private::BackendRegistration::factory::<#config_ty>(
                #name,
                #site,
                #description,
                #capabilities,
                __nadoo_flow_construct,
            )
        }
    })
}

fn reject_generics(generics: &syn::Generics, what: &str, attr: &str) -> syn::Result<()> {
    if generics.params.is_empty() && generics.where_clause.is_none() {
        return Ok(());
    }
    Err(syn::Error::new(
        generics.span(),
        format!(
            "#[{attr}] cannot be used on a generic {what}: the registry constructs one concrete type per name"
        ),
    ))
}

fn reject_capabilities(args: &Args) -> syn::Result<()> {
    match &args.capabilities {
        None => Ok(()),
        Some((key, _)) => Err(syn::Error::new(
            key.span,
            "`capabilities = ...` is for factory functions; a backend type declares them in `BackendType::CAPABILITIES`",
        )),
    }
}

/// The first non-empty line of the item's documentation, trimmed.
fn first_doc_line(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|doc| {
            doc.lines()
                .map(str::trim)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .find(|line| !line.is_empty())
        .unwrap_or_default()
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(t) => t.ident.span(),
        Item::Mod(m) => m.ident.span(),
        Item::Const(c) => c.ident.span(),
        Item::Static(s) => s.ident.span(),
        Item::Type(t) => t.ident.span(),
        Item::Union(u) => u.ident.span(),
        other => other.span(),
    }
}
