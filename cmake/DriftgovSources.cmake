# Library sources, one list per layer (see docs/architecture.md).
file(GLOB DRIFTGOV_CORE_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/core/*.cpp)
file(GLOB DRIFTGOV_IO_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/io/*.cpp)
file(GLOB DRIFTGOV_STATS_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/stats/*.cpp)
file(GLOB DRIFTGOV_PARQUET_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/parquet/*.cpp)
file(GLOB DRIFTGOV_DELTA_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/delta/*.cpp)
file(GLOB DRIFTGOV_GOV_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/gov/*.cpp)
file(GLOB DRIFTGOV_MONITOR_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/monitor/*.cpp)
file(GLOB DRIFTGOV_REPORT_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/report/*.cpp)
file(GLOB DRIFTGOV_DASHBOARD_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/dashboard/*.cpp)
set(DRIFTGOV_LIBRARY_SOURCES
  ${DRIFTGOV_CORE_SOURCES} ${DRIFTGOV_IO_SOURCES} ${DRIFTGOV_STATS_SOURCES}
  ${DRIFTGOV_PARQUET_SOURCES} ${DRIFTGOV_DELTA_SOURCES} ${DRIFTGOV_GOV_SOURCES} ${DRIFTGOV_MONITOR_SOURCES}
  ${DRIFTGOV_REPORT_SOURCES} ${DRIFTGOV_DASHBOARD_SOURCES})
file(GLOB DRIFTGOV_CLI_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/cli/*.cpp)
set(DRIFTGOV_EXTRA_LIBRARIES "")

# Compression, bitmap and crypto libraries from Debian used by the format layers.
foreach(library_name zstd snappy lz4 z deflate brotlidec brotlienc roaring crypto hwy_contrib hwy)
  find_library(DRIFTGOV_LIB_${library_name} ${library_name} REQUIRED)
  list(APPEND DRIFTGOV_EXTRA_LIBRARIES ${DRIFTGOV_LIB_${library_name}})
endforeach()

# Charts rendered to PNG and PDF (src/report/render.cpp): librsvg with cairo, fonts through fontconfig.
find_package(PkgConfig REQUIRED)
pkg_check_modules(DRIFTGOV_RSVG REQUIRED IMPORTED_TARGET librsvg-2.0 cairo cairo-pdf)
list(APPEND DRIFTGOV_EXTRA_LIBRARIES PkgConfig::DRIFTGOV_RSVG)

# The built-in trainer and the scoring of XGBoost models (src/gov/xgb_model.cpp): Debian's libxgboost, C API only.
find_path(DRIFTGOV_XGBOOST_INCLUDE_DIR xgboost/c_api.h REQUIRED)
find_library(DRIFTGOV_LIB_xgboost xgboost REQUIRED)
list(APPEND DRIFTGOV_EXTRA_LIBRARIES ${DRIFTGOV_LIB_xgboost})
