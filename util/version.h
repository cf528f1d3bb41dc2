/* version.h — the release number, shown by --version and in User-Agent. */
#ifndef NK_VERSION_H
#define NK_VERSION_H
#define NKDIGEST_VERSION "0.1.0"
#endif
