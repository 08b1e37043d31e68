#ifndef RELIEF_CLIBPQ_SHIM_H
#define RELIEF_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
