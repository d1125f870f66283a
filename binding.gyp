# SPDX-License-Identifier: MIT
# Fallback build of the CPU backend through node-gyp, for machines without CMake. The sources come
# from native/sources.json, the same list CMakeLists.txt reads. Per-ISA kernels are static libraries
# so each gets its own instruction-set flags.
{
  "variables": {
    "lcss_x86": "<!(node -p \"['x64','ia32'].includes(process.arch) ? 1 : 0\")"
  },
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-fexceptions"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
    "conditions": [["lcss_x86==1", {"defines": ["LCSS_HAVE_X86_KERNELS"]}]],
    "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17"}
  },
  "targets": [
    {
      "target_name": "lcss",
      "sources": [
        "<!@(node -p \"const s=require('./native/sources.json'); [...s.common, ...s.isa_base, ...s.dist_none].join(' ')\")"
      ],
      "conditions": [["lcss_x86==1", {"dependencies": ["lcss_avx2", "lcss_avx512"]}]]
    },
    {
      "target_name": "lcss_avx2",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./native/sources.json').isa_avx2.join(' ')\")"],
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-fPIC"]
    },
    {
      "target_name": "lcss_avx512",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./native/sources.json').isa_avx512.join(' ')\")"],
      "cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw", "-mavx2", "-mfma", "-mf16c",
                    "-mprefer-vector-width=512", "-fPIC"]
    }
  ]
}
