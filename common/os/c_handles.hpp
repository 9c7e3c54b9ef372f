// Owners for the C library handles dupipe uses (libcurl, OpenSSL): unique_ptr aliases with
// stateless deleters, so no *_cleanup/*_free call appears in logic.
#pragma once

#include <curl/curl.h>
#include <openssl/evp.h>

#include <memory>

namespace dupipe {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }  // owner
};
struct CurlMultiDeleter {
  void operator()(CURLM* handle) const { curl_multi_cleanup(handle); }  // owner
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }  // owner
};
struct CurlUrlDeleter {
  void operator()(CURLU* handle) const { curl_url_cleanup(handle); }  // owner
};
struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }  // owner
};
struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }  // owner
};
struct EvpMdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }  // owner
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;
using CurlString = std::unique_ptr<char, CurlStringDeleter>;
using EvpMdCtx = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;
using EvpMd = std::unique_ptr<EVP_MD, EvpMdDeleter>;

}  // namespace dupipe
