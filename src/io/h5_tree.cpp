#include "io/h5_tree.hpp"

#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "io/h5_check.hpp"
#include "io/h5_copy.hpp"

namespace hesscov::io {
namespace {

struct Source {
  ParallelH5File file;
  std::string link_name;  ///< the file name stored in external links: relative to the destination's folder
};

/// One source's entry for a child name of a group: which source, and whether it is a group.
struct Holder {
  size_t source = 0;
  bool group = false;
};

struct Walk {
  ParallelH5File& destination;
  std::vector<Source> sources;
  OverlayMode mode;
};

std::string child_path(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

std::string relative_name(const std::string& source, const std::string& destination) {
  const auto folder = std::filesystem::absolute(destination).lexically_normal().parent_path();
  const auto relative = std::filesystem::absolute(source).lexically_normal().lexically_relative(folder);
  return relative.empty() ? std::filesystem::absolute(source).string() : relative.string();
}

herr_t collect_link(hid_t, const char* name, const H5L_info_t* info, void* data) {
  auto* links = static_cast<std::vector<std::pair<std::string, H5L_type_t>>*>(data);
  links->emplace_back(name, info->type);
  return 0;
}

/// The children of `path` in every source that holds it as a group, by name (a sorted map: every
/// rank walks them in the same order, as the collective metadata writes require).
std::map<std::string, std::vector<Holder>> children_of(const Walk& walk, const std::string& path,
                                                       const std::vector<size_t>& holders) {
  std::map<std::string, std::vector<Holder>> children;
  for (const size_t at : holders) {
    const auto& source = walk.sources[at].file;
    std::vector<std::pair<std::string, H5L_type_t>> links;
    hsize_t position = 0;
    checked(H5Literate_by_name(source.id(), path.c_str(), H5_INDEX_NAME, H5_ITER_INC, &position, collect_link, &links,
                               H5P_DEFAULT),
            source.path(), "cannot list group " + path);
    for (const auto& [name, type] : links) {
      const std::string child = child_path(path, name);
      if (type != H5L_TYPE_HARD)
        throw core::IoError(source.path(),
                            child + " is a soft or external link; only groups and datasets can be merged");
      Id<H5Oclose> object(
          checked(H5Oopen(source.id(), child.c_str(), H5P_DEFAULT), source.path(), "cannot open " + child));
      const H5I_type_t kind = H5Iget_type(object.get());
      if (kind != H5I_GROUP && kind != H5I_DATASET)
        throw core::IoError(source.path(), child + " is neither a group nor a dataset");
      children[name].push_back({at, kind == H5I_GROUP});
    }
  }
  return children;
}

/// The union of the attributes of `path` over `holders`, written onto the destination's object.
void merge_attributes(const Walk& walk, const std::string& path, const std::vector<size_t>& holders) {
  Id<H5Oclose> target(checked(H5Oopen(walk.destination.id(), path.c_str(), H5P_DEFAULT), walk.destination.path(),
                              "cannot open " + path));
  std::map<std::string, size_t> owner;
  for (const size_t at : holders) {
    const auto& source = walk.sources[at].file;
    Id<H5Oclose> object(checked(H5Oopen(source.id(), path.c_str(), H5P_DEFAULT), source.path(), "cannot open " + path));
    for (const auto& name : attribute_names(object.get(), source.path(), path)) {
      const auto [first, fresh] = owner.emplace(name, at);
      if (!fresh)
        throw core::IoError(walk.destination.path(), "attribute " + path + "@" + name + " is present in both " +
                                                         walk.sources[first->second].file.path() + " and " +
                                                         source.path());
      copy_attribute(object.get(), source.path(), name, target.get(), walk.destination.path());
    }
  }
}

void merge_group(const Walk& walk, const std::string& path, const std::vector<size_t>& holders);

/// An object that a single source holds: linked or copied, by mode.
void place(const Walk& walk, const std::string& path, const Holder& holder) {
  const auto& source = walk.sources[holder.source];
  const auto& destination = walk.destination;
  if (walk.mode == OverlayMode::link) {
    checked(H5Lcreate_external(source.link_name.c_str(), path.c_str(), destination.id(), path.c_str(), H5P_DEFAULT,
                               H5P_DEFAULT),
            destination.path(), "cannot create the external link " + path + " -> " + source.link_name);
  } else if (holder.group) {
    Id<H5Gclose> group(checked(H5Gcreate2(destination.id(), path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                               destination.path(), "cannot create group " + path));
    merge_group(walk, path, {holder.source});
  } else {
    Id<H5Dclose> dataset(checked(H5Dopen2(source.file.id(), path.c_str(), H5P_DEFAULT), source.file.path(),
                                 "cannot open dataset " + path));
    copy_dataset(dataset.get(), source.file.path(), destination.id(), destination.path(), path, destination.comm());
  }
}

/// `path` exists as a group in the destination and in every source of `holders`.
void merge_group(const Walk& walk, const std::string& path, const std::vector<size_t>& holders) {
  merge_attributes(walk, path, holders);
  for (const auto& [name, members] : children_of(walk, path, holders)) {
    const std::string child = child_path(path, name);
    if (members.size() == 1) {
      place(walk, child, members.front());
      continue;
    }
    std::vector<size_t> shared;
    for (const auto& member : members) {
      if (!member.group) {
        const auto& other = &member == &members.front() ? members[1] : members.front();
        throw core::IoError(walk.destination.path(), child + " is present in both " +
                                                         walk.sources[other.source].file.path() + " and " +
                                                         walk.sources[member.source].file.path() +
                                                         ", and only groups can be merged");
      }
      shared.push_back(member.source);
    }
    Id<H5Gclose> group(checked(H5Gcreate2(walk.destination.id(), child.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                               walk.destination.path(), "cannot create group " + child));
    merge_group(walk, child, shared);
  }
}

}  // namespace

void overlay(ParallelH5File& destination, const std::vector<std::string>& sources, OverlayMode mode) {
  Walk walk{destination, {}, mode};
  std::vector<size_t> everyone;
  for (const auto& path : sources) {
    everyone.push_back(walk.sources.size());
    walk.sources.push_back(
        {ParallelH5File::open_read(path, destination.comm()), relative_name(path, destination.path())});
  }
  merge_group(walk, "/", everyone);
}

}  // namespace hesscov::io
