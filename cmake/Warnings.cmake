# Picky warnings, each checked before use (curl's PickyWarnings.cmake habit).
include(CheckCCompilerFlag)
include(CheckCXXCompilerFlag)

set(FB_C_WARNINGS
    -Wall -Wextra -Wpedantic -Wshadow -Wmissing-prototypes -Wstrict-prototypes
    -Wundef -Wwrite-strings -Wformat=2 -Wvla -Wconversion -Wno-sign-conversion
    -Wcast-qual -Wpointer-arith -Wold-style-definition)
set(FB_CXX_WARNINGS -Wall -Wextra -Wshadow -Wundef -Wformat=2 -Wno-unused-parameter
    -Wno-deprecated-declarations
    -Wno-deprecated)

set(FB_C_FLAGS_CHECKED "")
foreach(flag IN LISTS FB_C_WARNINGS)
    string(MAKE_C_IDENTIFIER "HAVE_C${flag}" var)
    check_c_compiler_flag(${flag} ${var})
    if(${var})
        list(APPEND FB_C_FLAGS_CHECKED ${flag})
    endif()
endforeach()
set(FB_CXX_FLAGS_CHECKED "")
foreach(flag IN LISTS FB_CXX_WARNINGS)
    string(MAKE_C_IDENTIFIER "HAVE_CXX${flag}" var)
    check_cxx_compiler_flag(${flag} ${var})
    if(${var})
        list(APPEND FB_CXX_FLAGS_CHECKED ${flag})
    endif()
endforeach()
if(FB_WERROR)
    list(APPEND FB_C_FLAGS_CHECKED -Werror)
    list(APPEND FB_CXX_FLAGS_CHECKED -Werror)
endif()
add_compile_options("$<$<COMPILE_LANGUAGE:C>:${FB_C_FLAGS_CHECKED}>"
                    "$<$<COMPILE_LANGUAGE:CXX>:${FB_CXX_FLAGS_CHECKED}>")
