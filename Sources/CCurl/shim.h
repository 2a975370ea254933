#ifndef HERALD_CCURL_SHIM_H
#define HERALD_CCURL_SHIM_H

#include <curl/curl.h>

#ifdef __linux__
// The transport's event loop waits on epoll and wakes through an eventfd (Swift's Glibc module
// does not export these headers).
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif

// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic, so Swift cannot call
// them. These typed wrappers (after GRDB's shim.h and swift-corelibs-foundation's
// CFURLSession_easy_setopt_*) give Swift one entry point per argument type.

/// The signature of CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION and CURLOPT_READFUNCTION.
typedef size_t (*herald_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);

static inline CURLcode herald_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode herald_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// For string options; libcurl copies the string (since 7.17), so the caller's buffer may go.
static inline CURLcode herald_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode herald_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// For list options (CURLOPT_HTTPHEADER, CURLOPT_MAIL_RCPT, CURLOPT_RESOLVE); libcurl does not
/// copy the list: it must live until the transfer is done.
static inline CURLcode herald_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode herald_curl_easy_setopt_callback(CURL *handle, CURLoption option, herald_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode herald_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode herald_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode herald_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode herald_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

static inline CURLMcode herald_curl_multi_setopt_pointer(CURLM *handle, CURLMoption option, void *value) {
    return curl_multi_setopt(handle, option, value);
}

static inline CURLMcode herald_curl_multi_setopt_socket_callback(CURLM *handle, curl_socket_callback value) {
    return curl_multi_setopt(handle, CURLMOPT_SOCKETFUNCTION, value);
}

static inline CURLMcode herald_curl_multi_setopt_timer_callback(CURLM *handle, curl_multi_timer_callback value) {
    return curl_multi_setopt(handle, CURLMOPT_TIMERFUNCTION, value);
}

/// CURL_GLOBAL_ALL is a macro expression Swift does not import.
static inline CURLcode herald_curl_global_init_all(void) {
    return curl_global_init(CURL_GLOBAL_ALL);
}

/// The result of a finished transfer lives in a union Swift imports awkwardly.
static inline CURLcode herald_curl_msg_result(const CURLMsg *message) {
    return message->data.result;
}

#endif
