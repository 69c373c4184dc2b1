// Structural check of a DICOM file before it reaches GDCM (see src/imaging/dicom_check.cpp for
// why): throws InvalidInput naming the file and the byte where an element runs past its end.
#pragma once

#include <string>

namespace medgen::imaging {

void check_dicom_structure(const std::string& path, const std::string& data);
std::string read_file_bytes(const std::string& path);  // IoError when it cannot be read

}  // namespace medgen::imaging
